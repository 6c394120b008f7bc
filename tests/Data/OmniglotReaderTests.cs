using System.IO.Compression;
using Lshk.Data;
using Lshk.Data.Imaging;
using Lshk.Data.Readers;

namespace Lshk.Tests.Data;

/// <summary>
/// The official Omniglot zips in ../shared/datasets. Known values come from the dataset's description (30/20
/// alphabets, 964/659 characters, 20 drawings each) and from an independent decoder: a short Python script (zlib
/// + PNG filter reversal, no imaging library) that decoded the same entries and area-averaged them to 28×28.
/// </summary>
public sealed class OmniglotReaderTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void BackgroundSetHas30Alphabets964Characters19280Images()
    {
        var d = DataFiles.OmniglotBackgroundSet;
        Assert.Equal(19280, d.Count);
        Assert.Equal(964, d.ClassCount);
        Assert.Equal(30, d.GroupNames().Count);
        Assert.Equal((1, 28, 28), (d.Channels, d.Height, d.Width));
        Assert.All(d.IndicesByClass(), images => Assert.Equal(20, images.Length));
        Assert.All(d.ClassNames.Zip(d.ClassGroups!), p => Assert.StartsWith(p.Second + "/character", p.First));
    }

    [Fact]
    public void EvaluationSetHas20Alphabets659Characters13180Images()
    {
        var d = DataFiles.OmniglotEvaluationSet;
        Assert.Equal(13180, d.Count);
        Assert.Equal(659, d.ClassCount);
        Assert.Equal(20, d.GroupNames().Count);
        Assert.All(d.IndicesByClass(), images => Assert.Equal(20, images.Length));
        Assert.Empty(d.GroupNames().Intersect(DataFiles.OmniglotBackgroundSet.GroupNames()));
    }

    [Fact]
    public void NativeDecodeMatchesIndependentDecoder()
    {
        using var zip = ZipFile.OpenRead(DataFiles.OmniglotBackground);
        byte[] png = SourceFiles.ReadEntry(zip.GetEntry("images_background/Alphabet_of_the_Magi/character01/0709_01.png")!, "z");
        var image = ImageDecoder.DecodeGray(png, "0709_01.png", pngOnly: true);
        Assert.Equal((1, 105, 105), (image.Channels, image.Height, image.Width));
        // Python: 905 black pixels; the first three in row-major order are (34,17), (34,18), (34,19).
        Assert.Equal(905, image.Planes.Count(v => v == 0f));
        Assert.Equal(105 * 105 - 905, image.Planes.Count(v => v == 1f));
        int firstBlack = Array.IndexOf(image.Planes, 0f);
        Assert.Equal(34 * 105 + 17, firstBlack);
        Assert.Equal(0f, image.Planes[34 * 105 + 19]);
    }

    [Fact]
    public void ResizedPixelsMatchIndependentAreaAverage()
    {
        var d = DataFiles.OmniglotBackgroundSet;
        // Class 0 is Alphabet_of_the_Magi/character01 and its first image 0709_01.png (ordinal order).
        Assert.Equal("Alphabet_of_the_Magi/character01", d.ClassNames[0]);
        var image = d.Image(0);
        Assert.Equal(64.355556, Sum(image), 3);        // 905 ink pixels × (28/105)²
        Assert.Equal(0.435556f, image[9 * 28 + 4], 5);
        Assert.Equal(0.933333f, image[9 * 28 + 5], 5);
        Assert.Equal(0.595556f, image[9 * 28 + 7], 5);
        Assert.Equal(1f, image[14 * 28 + 8], 5);
        Assert.Equal(0f, image[14 * 28 + 14]);
        // The last image of the set: Tifinagh/character55/0964_20.png.
        int last = d.Count - 1;
        Assert.Equal("Tifinagh/character55", d.ClassNames[d.Labels[last]]);
        var tail = d.Image(last);
        Assert.Equal(36.195556, Sum(tail), 3);
        Assert.Equal(0.066667f, tail[6 * 28 + 16], 5);
        Assert.Equal(0.195556f, tail[7 * 28 + 8], 5);
        Assert.All(d.Images, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void RotationAugmentationGivesFourTimesTheTrainingClasses()
    {
        var d = DataFiles.OmniglotBackgroundSet;
        var rotated = Augmentation.WithRotations(d);
        Assert.Equal(4 * 964, rotated.ClassCount);
        Assert.Equal(4 * 19280, rotated.Count);
        Assert.Equal(30, rotated.GroupNames().Count);
        Assert.All(rotated.IndicesByClass(), images => Assert.Equal(20, images.Length));
        Assert.Equal(d.ClassNames[5] + "/rot180", rotated.ClassNames[2 * 964 + 5]);
        Assert.Equal(d.ClassGroups![5], rotated.ClassGroups![2 * 964 + 5]);
        // Image i rotated by 90° counter-clockwise: new (y, x) = old (x, 27 − y).
        int i = 123;
        var original = d.Image(i);
        var turned = rotated.Image(19280 + i);
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
                Assert.Equal(original[x * 28 + (27 - y)], turned[y * 28 + x]);
        Assert.Equal(964 + d.Labels[i], rotated.Labels[19280 + i]);
    }

    [Fact]
    public void ExtractedFolderReadsLikeTheZip()
    {
        string zipPath = _tmp.File("images_background.zip");
        DataFiles.WriteOmniglotZip(zipPath, alphabets: 2, characters: 3, drawings: 2);
        ZipFile.ExtractToDirectory(zipPath, _tmp.Path);
        var fromZip = OmniglotReader.Read(zipPath, PreprocessSettings.Default);
        var fromFolder = OmniglotReader.Read(Path.Combine(_tmp.Path, "images_background"), PreprocessSettings.Default);
        Assert.Equal(12, fromZip.Count);
        Assert.Equal(["Alphabet0/character01", "Alphabet0/character02", "Alphabet0/character03", "Alphabet1/character01", "Alphabet1/character02", "Alphabet1/character03"], fromZip.ClassNames);
        Assert.Equal(fromZip.ClassNames, fromFolder.ClassNames);
        Assert.Equal(fromZip.ClassGroups, fromFolder.ClassGroups);
        Assert.Equal(fromZip.Labels, fromFolder.Labels);
        Assert.Equal(fromZip.Images, fromFolder.Images);
    }

    [Fact]
    public void NonPngEntryIsReportedWithItsName()
    {
        string zipPath = _tmp.File("bad.zip");
        DataFiles.WriteOmniglotZip(zipPath, 1, 1, 2);
        using (var zip = ZipFile.Open(zipPath, ZipArchiveMode.Update))
        {
            using var s = zip.CreateEntry("images_background/Alphabet0/character01/9999_99.png").Open();
            s.Write("this is not an image"u8);
        }
        var e = Assert.Throws<DatasetFormatException>(() => OmniglotReader.Read(zipPath, PreprocessSettings.Default));
        Assert.Equal(zipPath + "!images_background/Alphabet0/character01/9999_99.png: not a PNG image", e.Message);
    }

    [Fact]
    public void EntryOutsideTheLayoutIsReported()
    {
        string zipPath = _tmp.File("layout.zip");
        DataFiles.WriteOmniglotZip(zipPath, 1, 1, 1);
        using (var zip = ZipFile.Open(zipPath, ZipArchiveMode.Update))
        using (var s = zip.CreateEntry("images_background/Alphabet0/stray.png").Open()) s.Write(DataFiles.Png(4, 4, (_, _) => 0));
        var e = Assert.Throws<DatasetFormatException>(() => OmniglotReader.Read(zipPath, PreprocessSettings.Default));
        Assert.Contains("stray.png", e.Message);
        Assert.Contains("Omniglot layout", e.Message);
    }

    [Fact]
    public void CorruptCompressedEntryIsReportedWithItsName()
    {
        string zipPath = _tmp.File("damaged.zip");
        DataFiles.WriteOmniglotZip(zipPath, 1, 1, 2);
        byte[] bytes = File.ReadAllBytes(zipPath);
        // The first local file header: 30 bytes, the name, the extra field, then the deflated data.
        int nameLength = BitConverter.ToUInt16(bytes, 26), extraLength = BitConverter.ToUInt16(bytes, 28);
        int compressed = BitConverter.ToInt32(bytes, 18);
        int data = 30 + nameLength + extraLength;
        for (int i = data + compressed / 4; i < data + compressed * 3 / 4; i++) bytes[i] = (byte)(i * 151);
        File.WriteAllBytes(zipPath, bytes);
        string entry = System.Text.Encoding.UTF8.GetString(bytes, 30, nameLength);
        var e = Assert.Throws<DatasetFormatException>(() => OmniglotReader.Read(zipPath, PreprocessSettings.Default));
        Assert.StartsWith($"{zipPath}!{entry}: corrupt", e.Message);
    }

    [Fact]
    public void TruncatedZipIsReported()
    {
        string zipPath = _tmp.File("cut.zip");
        DataFiles.WriteOmniglotZip(zipPath, 1, 2, 2);
        byte[] bytes = File.ReadAllBytes(zipPath);
        File.WriteAllBytes(zipPath, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<DatasetFormatException>(() => OmniglotReader.Read(zipPath, PreprocessSettings.Default));
        Assert.StartsWith(zipPath + ": not a readable zip file", e.Message);
    }

    [Fact]
    public void MissingFileIsReported()
    {
        var e = Assert.Throws<DatasetFormatException>(() => OmniglotReader.Read(_tmp.File("nope.zip"), PreprocessSettings.Default));
        Assert.Equal(_tmp.File("nope.zip") + ": file not found", e.Message);
    }

    private static double Sum(ReadOnlySpan<float> values)
    {
        double s = 0;
        foreach (float v in values) s += v;
        return s;
    }
}
