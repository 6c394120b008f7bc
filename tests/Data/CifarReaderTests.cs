using System.Formats.Tar;
using System.IO.Compression;
using Lshk.Data;
using Lshk.Data.Readers;

namespace Lshk.Tests.Data;

/// <summary>CIFAR-10 and CIFAR-100 binary files in the official record format, written by the test.</summary>
public sealed class CifarReaderTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>cifar-10-batches-bin/ with 5 train batches of 3 records and a test batch of 4; record r of batch b has label (b + r) % 10.</summary>
    private string WriteCifar10(bool names = true)
    {
        string folder = Path.Combine(_tmp.Path, "cifar-10-batches-bin");
        Directory.CreateDirectory(folder);
        for (int b = 1; b <= 6; b++)
        {
            int records = b == 6 ? 4 : 3;
            var bytes = Enumerable.Range(0, records).SelectMany(r => DataFiles.CifarRecord(b * 10 + r, (byte)((b + r) % 10))).ToArray();
            File.WriteAllBytes(Path.Combine(folder, b == 6 ? "test_batch.bin" : $"data_batch_{b}.bin"), bytes);
        }
        if (names) File.WriteAllText(Path.Combine(folder, "batches.meta.txt"), string.Join("\n", Enumerable.Range(0, 10).Select(i => $"name{i}")) + "\n\n");
        return folder;
    }

    [Fact]
    public void Cifar10RecordsGiveLabelsAndRgbPlanes()
    {
        WriteCifar10();
        var train = CifarReader.Read(_tmp.Path, CifarVersion.Cifar10, CifarPart.Train, new PreprocessSettings(Size: 0));
        Assert.Equal(15, train.Count);
        Assert.Equal((3, 32, 32), (train.Channels, train.Height, train.Width));
        Assert.Equal(Enumerable.Range(1, 5).SelectMany(b => Enumerable.Range(0, 3).Select(r => (b + r) % 10)), train.Labels);
        Assert.Equal("name3", train.ClassNames[3]);
        Assert.Null(train.ClassGroups);
        // Record 4 is batch 2, record 1 (seed 21): check a pixel of each plane.
        var image = train.Image(4);
        foreach (var (c, y, x) in new[] { (0, 0, 0), (1, 5, 7), (2, 31, 30) })
            Assert.Equal(DataFiles.CifarPixel(21, c, y, x) / 255f, image[c * 1024 + y * 32 + x]);
        var test = CifarReader.Read(_tmp.Path, CifarVersion.Cifar10, CifarPart.Test, new PreprocessSettings(Size: 0));
        Assert.Equal(4, test.Count);
        var all = CifarReader.Read(_tmp.Path, CifarVersion.Cifar10, CifarPart.All, new PreprocessSettings(Size: 0));
        Assert.Equal(train.Images.Concat(test.Images), all.Images);
    }

    [Fact]
    public void Cifar10WithoutNameFileUsesTheOfficialNames()
    {
        string folder = WriteCifar10(names: false);
        var d = CifarReader.Read(folder, CifarVersion.Cifar10, CifarPart.Test, PreprocessSettings.Default);
        Assert.Equal(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"], d.ClassNames);
    }

    [Fact]
    public void ResizingTo28AndGrayFollowTheirDefinitions()
    {
        WriteCifar10();
        var native = CifarReader.Read(_tmp.Path, CifarVersion.Cifar10, CifarPart.Test, new PreprocessSettings(Size: 0));
        var small = CifarReader.Read(_tmp.Path, CifarVersion.Cifar10, CifarPart.Test, PreprocessSettings.Default);
        Assert.Equal((3, 28, 28), (small.Channels, small.Height, small.Width));
        // Area averaging keeps every plane's mean.
        for (int c = 0; c < 3; c++)
            Assert.Equal(native.Image(2).Slice(c * 1024, 1024).ToArray().Average(), small.Image(2).Slice(c * 784, 784).ToArray().Average(), 4);
        var gray = CifarReader.Read(_tmp.Path, CifarVersion.Cifar10, CifarPart.Test, new PreprocessSettings(0, ChannelMode.Gray));
        Assert.Equal(1, gray.Channels);
        var rgb = native.Image(1);
        Assert.Equal(0.299f * rgb[5] + 0.587f * rgb[1024 + 5] + 0.114f * rgb[2048 + 5], gray.Image(1)[5], 6);
    }

    [Fact]
    public void ReadsStraightFromTheTarGz()
    {
        string folder = WriteCifar10();
        string archive = _tmp.File("cifar-10-binary.tar.gz");
        using (var file = File.Create(archive))
        using (var gz = new GZipStream(file, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gz))
            foreach (string f in Directory.GetFiles(folder).Order())
                tar.WriteEntry(f, "cifar-10-batches-bin/" + Path.GetFileName(f));
        var fromFolder = CifarReader.Read(folder, CifarVersion.Cifar10, CifarPart.All, PreprocessSettings.Default);
        var fromArchive = CifarReader.Read(archive, CifarVersion.Cifar10, CifarPart.All, PreprocessSettings.Default);
        Assert.Equal(fromFolder.Images, fromArchive.Images);
        Assert.Equal(fromFolder.Labels, fromArchive.Labels);
        Assert.Equal(fromFolder.ClassNames, fromArchive.ClassNames);
        Directory.Delete(folder, recursive: true);
        // The parent folder holding only the archive works too.
        Assert.Equal(fromFolder.Images, CifarReader.Read(_tmp.Path, CifarVersion.Cifar10, CifarPart.All, PreprocessSettings.Default).Images);
    }

    [Fact]
    public void Cifar100HasFineClassesGroupedByCoarse()
    {
        string folder = Path.Combine(_tmp.Path, "cifar-100-binary");
        Directory.CreateDirectory(folder);
        // Fine class f belongs to coarse class f % 20; the train file has fine classes 0..49 and 99, test 7 and 99.
        byte[] Record(int seed, int fine) => DataFiles.CifarRecord(seed, (byte)(fine % 20), (byte)fine);
        File.WriteAllBytes(Path.Combine(folder, "train.bin"), Enumerable.Range(0, 50).Append(99).SelectMany(f => Record(f, f)).ToArray());
        File.WriteAllBytes(Path.Combine(folder, "test.bin"), [.. Record(1, 7), .. Record(2, 99)]);
        File.WriteAllLines(Path.Combine(folder, "fine_label_names.txt"), Enumerable.Range(0, 100).Select(i => $"fine{i}"));
        File.WriteAllLines(Path.Combine(folder, "coarse_label_names.txt"), Enumerable.Range(0, 20).Select(i => $"coarse{i}"));
        var d = CifarReader.Read(_tmp.Path, CifarVersion.Cifar100, CifarPart.All, new PreprocessSettings(Size: 0));
        Assert.Equal(53, d.Count);
        Assert.Equal(100, d.ClassCount);
        Assert.Equal([.. Enumerable.Range(0, 50), 99, 7, 99], d.Labels);
        Assert.Equal("fine42", d.ClassNames[42]);
        Assert.Equal("coarse2", d.ClassGroups![42]);
        Assert.Equal("coarse19", d.ClassGroups![99]);
        Assert.Equal("(no images)", d.ClassGroups![60]);
        Assert.Equal(DataFiles.CifarPixel(1, 2, 3, 4) / 255f, d.Image(51)[2048 + 3 * 32 + 4]);
    }

    [Fact]
    public void Cifar100InconsistentSuperclassIsReported()
    {
        string folder = Path.Combine(_tmp.Path, "cifar-100-binary");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "train.bin"), [.. DataFiles.CifarRecord(0, 1, 5), .. DataFiles.CifarRecord(1, 2, 5)]);
        var e = Assert.Throws<DatasetFormatException>(() => CifarReader.Read(folder, CifarVersion.Cifar100, CifarPart.Train, PreprocessSettings.Default));
        Assert.Equal(Path.Combine(folder, "train.bin") + ": record 1: fine class 5 under coarse class 2, earlier under 1", e.Message);
    }

    [Fact]
    public void BadRecordsAndMissingFilesAreReported()
    {
        string folder = WriteCifar10();
        string batch = Path.Combine(folder, "data_batch_3.bin");
        File.WriteAllBytes(batch, DataFiles.CifarRecord(0, 3)[..3000]);
        var e = Assert.Throws<DatasetFormatException>(() => CifarReader.Read(folder, CifarVersion.Cifar10, CifarPart.Train, PreprocessSettings.Default));
        Assert.Equal($"{batch}: 3000 bytes is not a whole number of 3073-byte records", e.Message);
        File.WriteAllBytes(batch, DataFiles.CifarRecord(0, 10));
        e = Assert.Throws<DatasetFormatException>(() => CifarReader.Read(folder, CifarVersion.Cifar10, CifarPart.Train, PreprocessSettings.Default));
        Assert.Equal($"{batch}: record 0: label 10 is not below 10", e.Message);
        File.Delete(batch);
        e = Assert.Throws<DatasetFormatException>(() => CifarReader.Read(folder, CifarVersion.Cifar10, CifarPart.Train, PreprocessSettings.Default));
        Assert.Equal($"{batch}: file not found", e.Message);
        e = Assert.Throws<DatasetFormatException>(() => CifarReader.Read(_tmp.File("empty"), CifarVersion.Cifar10, CifarPart.Train, PreprocessSettings.Default));
        Assert.EndsWith("not found", e.Message);
    }
}
