using Lshk.Data;
using Lshk.Data.Readers;

namespace Lshk.Tests.Data;

/// <summary>
/// The official MNIST test half in ../shared/datasets, against values published for it (10,000 images, the label
/// counts, the first labels 7 2 1 0 4 1 4 9 5 9) and bytes read with Python's gzip module; and small IDX files.
/// </summary>
public sealed class MnistReaderTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static (string Images, string Labels) TestHalf => MnistReader.FindHalf(DataFiles.MnistFolder, "t10k")!.Value;

    [Fact]
    public void TestHalfHas10000ImagesWithTheKnownLabelCounts()
    {
        var d = MnistReader.Read(TestHalf.Images, TestHalf.Labels, new PreprocessSettings(Size: 0));
        Assert.Equal(10000, d.Count);
        Assert.Equal((1, 28, 28), (d.Channels, d.Height, d.Width));
        Assert.Equal([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009], d.IndicesByClass().Select(c => c.Length));
        Assert.Equal([7, 2, 1, 0, 4, 1, 4, 9, 5, 9], d.Labels[..10]);
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], d.ClassNames);
        // Image 0: pixel bytes sum to 18454; row 7 starts 84, 185, 159, 151 at columns 6..9; the centre is 0.
        var first = d.Image(0);
        Assert.Equal(18454 / 255.0, first.ToArray().Sum(v => (double)v), 3);
        Assert.Equal(84 / 255f, first[7 * 28 + 6]);
        Assert.Equal(185 / 255f, first[7 * 28 + 7]);
        Assert.Equal(151 / 255f, first[7 * 28 + 9]);
        Assert.Equal(0f, first[14 * 28 + 14]);
        var last = d.Image(9999);
        Assert.Equal(41833 / 255.0, last.ToArray().Sum(v => (double)v), 3);
        Assert.Equal(254 / 255f, last[2 * 28 + 19]);
    }

    [Fact]
    public void DefaultSizeOf28KeepsThePixels()
    {
        var native = MnistReader.Read(TestHalf.Images, TestHalf.Labels, new PreprocessSettings(Size: 0));
        var sized = MnistReader.Read(TestHalf.Images, TestHalf.Labels, PreprocessSettings.Default);
        Assert.Equal(native.Images, sized.Images);
    }

    [Fact]
    public void UncompressedFilesReadLikeGzipped()
    {
        DataFiles.WriteMnist(_tmp.Path, "train", 12, gz: false);
        var raw = MnistReader.FindHalf(_tmp.Path, "train")!.Value;
        Assert.EndsWith("ubyte", raw.Images);
        var d = MnistReader.Read(raw.Images, raw.Labels, PreprocessSettings.Default);
        Assert.Equal(12, d.Count);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i % 10), d.Labels);
        Assert.Equal(7 * 785 % 251 / 255f, d.Image(1)[1]);   // byte index 785 of the image data
        using var gz = new TempFolder();
        DataFiles.WriteMnist(gz.Path, "train", 12, gz: true);
        var zipped = MnistReader.FindHalf(gz.Path, "train")!.Value;
        Assert.Equal(d.Images, MnistReader.Read(zipped.Images, zipped.Labels, PreprocessSettings.Default).Images);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 8, 1 }, "dimensions, expected 3")]         // a label file's magic where images belong
    [InlineData(new byte[] { 0, 0, 9, 3 }, "element type 0x09")]
    [InlineData(new byte[] { 1, 2, 8, 3 }, "not an IDX file")]
    public void WrongMagicNumberIsReported(byte[] magic, string problem)
    {
        string path = _tmp.File("images.idx");
        var bytes = DataFiles.Idx([2, 28, 28], new byte[2 * 784]);
        magic.CopyTo(bytes, 0);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<DatasetFormatException>(() => IdxFile.ReadBytes(path, 3));
        Assert.StartsWith(path + ": wrong magic number", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void SizeNotMatchingTheHeaderIsReported()
    {
        string path = _tmp.File("short.gz");
        File.WriteAllBytes(path, DataFiles.Gzip(DataFiles.Idx([3, 28, 28], new byte[2 * 784 + 5])));
        var e = Assert.Throws<DatasetFormatException>(() => IdxFile.ReadBytes(path, 3));
        Assert.Equal($"{path}: size does not match the header: 3×28×28 needs 2352 data bytes, the file has 1573", e.Message);
        File.WriteAllBytes(path, DataFiles.Idx([2], [1, 2, 3]));
        e = Assert.Throws<DatasetFormatException>(() => IdxFile.ReadBytes(path, 1));
        Assert.Equal($"{path}: size does not match the header: 1 bytes follow the 2 data bytes of 2", e.Message);
    }

    [Fact]
    public void LabelsNotMatchingTheImagesAreReported()
    {
        string images = _tmp.File("i"), labels = _tmp.File("l");
        File.WriteAllBytes(images, DataFiles.Idx([2, 28, 28], new byte[2 * 784]));
        File.WriteAllBytes(labels, DataFiles.Idx([3], [1, 2, 3]));
        Assert.Contains("3 labels for the 2 images", Assert.Throws<DatasetFormatException>(() => MnistReader.Read(images, labels, PreprocessSettings.Default)).Message);
        File.WriteAllBytes(labels, DataFiles.Idx([2], [1, 12]));
        Assert.Equal($"{labels}: label 12 of image 1 is not a digit", Assert.Throws<DatasetFormatException>(() => MnistReader.Read(images, labels, PreprocessSettings.Default)).Message);
    }

    [Fact]
    public void HalfWithoutItsLabelsIsReported()
    {
        File.WriteAllBytes(_tmp.File("t10k-images-idx3-ubyte.gz"), DataFiles.Gzip(DataFiles.Idx([1, 28, 28], new byte[784])));
        var e = Assert.Throws<DatasetFormatException>(() => MnistReader.FindHalf(_tmp.Path, "t10k"));
        Assert.Contains("t10k-labels-idx1-ubyte.gz: file not found", e.Message);
        Assert.Null(MnistReader.FindHalf(_tmp.Path, "train"));
    }
}
