using Lshk.Data.Episodes;
using Lshk.Data.Readers;
using Lshk.Tests.Cli;

namespace Lshk.Tests.Data;

/// <summary><c>lshk data info|episodes</c> end to end, including bad input: one line, exit code 1, no stack trace.</summary>
public sealed class DataCommandTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string Cache => _tmp.File("cache");

    private static void AssertOneLineError((int Code, string Out, string Err) result, params string[] mustContain)
    {
        Assert.Equal(1, result.Code);
        string err = result.Err.Trim();
        Assert.Single(err.Split('\n'));
        Assert.StartsWith("lshk: error: ", err);
        Assert.DoesNotContain("   at ", err);
        foreach (string text in mustContain) Assert.Contains(text, err);
    }

    [Fact]
    public void InfoDescribesMnistAndReportsTheCache()
    {
        var first = CliRunner.Run("data", "info", "mnist:" + DataFiles.MnistFolder, "--cache-dir", Cache);
        Assert.Equal(0, first.Code);
        Assert.Matches(@"test\s*│\s*10000\s*│\s*10\s*│\s*-\s*│\s*1×28×28\s*│\s*built and saved", first.Out);
        Assert.Contains("split: 0-4/5-9", first.Out);
        Assert.Matches(@"train\s*│\s*5\s*│\s*5139", first.Out);   // 980 + 1135 + 1032 + 1010 + 982 images of digits 0–4
        var second = CliRunner.Run("data", "info", "mnist:" + DataFiles.MnistFolder, "--cache-dir", Cache, "--size", "14");
        Assert.Contains("1×14×14", second.Out);
        var third = CliRunner.Run("data", "info", "mnist:" + DataFiles.MnistFolder, "--cache-dir", Cache, "--size", "14");
        Assert.Matches(@"1×14×14\s*│\s*hit", third.Out);
    }

    [Fact]
    public void InfoDescribesOmniglotGroups()
    {
        string root = _tmp.File("omniglot");
        Directory.CreateDirectory(root);
        DataFiles.WriteOmniglotZip(Path.Combine(root, "images_background.zip"), 3, 2, 2);
        DataFiles.WriteOmniglotZip(Path.Combine(root, "images_evaluation.zip"), 2, 2, 3, "images_evaluation");
        var result = CliRunner.Run("data", "info", "omniglot:" + root, "--no-cache");
        Assert.Equal(0, result.Code);
        Assert.Matches(@"background\s*│\s*12\s*│\s*6\s*│\s*3\s*│\s*1×28×28\s*│\s*off", result.Out);
        Assert.Matches(@"evaluation\s*│\s*12\s*│\s*4\s*│\s*2", result.Out);
        Assert.Matches(@"train\s*│\s*24\s*│\s*48\s*│\s*3", result.Out);   // 6 classes × 4 rotations
    }

    [Fact]
    public void EpisodesAreSavedAndReplayable()
    {
        string file = _tmp.File("episodes.json");
        var result = CliRunner.Run("data", "episodes", "mnist:" + DataFiles.MnistFolder, "--no-cache", "--ways", "5", "--shots", "2",
            "--queries", "3", "--episodes", "20", "--seed", "4", "--out", file);
        Assert.Equal(0, result.Code);
        var list = EpisodeFile.Load(file);
        Assert.Equal(20, list.Episodes.Count);
        Assert.Equal(new EpisodeSpec(5, 2, 3), list.Spec);
        Assert.Equal(4UL, list.Seed);
        Assert.Equal(892 + 958 + 1028 + 974 + 1009, list.Images);
        var again = _tmp.File("again.json");
        CliRunner.Run("data", "episodes", "mnist:" + DataFiles.MnistFolder, "--no-cache", "--ways", "5", "--shots", "2",
            "--queries", "3", "--episodes", "20", "--seed", "4", "--out", again);
        Assert.Equal(File.ReadAllText(file), File.ReadAllText(again));
    }

    [Fact]
    public void ImpossibleEpisodesAreOneLineErrors()
    {
        AssertOneLineError(CliRunner.Run("data", "episodes", "mnist:" + DataFiles.MnistFolder, "--no-cache", "--ways", "6", "--out", _tmp.File("e.json")),
            "cannot draw 6-way episodes", "only 5 classes");
        AssertOneLineError(CliRunner.Run("data", "episodes", "mnist:" + DataFiles.MnistFolder, "--no-cache", "--mode", "within-group", "--out", _tmp.File("e.json")),
            "need class groups");
        Assert.False(File.Exists(_tmp.File("e.json")));
    }

    [Fact]
    public void MissingDatasetIsAOneLineError()
    {
        AssertOneLineError(CliRunner.Run("data", "info", "omniglot:" + _tmp.File("nothing")), _tmp.File("nothing"), "not found");
        AssertOneLineError(CliRunner.Run("data", "info", "omniglot:" + _tmp.Path), _tmp.Path, "no Omniglot sets here");
        AssertOneLineError(CliRunner.Run("data", "info", "imagenet"), "unknown dataset 'imagenet'");
        AssertOneLineError(CliRunner.Run("data", "info", "mnist:" + _tmp.Path), "no MNIST files here");
    }

    [Fact]
    public void CorruptZipEntryIsAOneLineErrorNamingIt()
    {
        string root = _tmp.File("omniglot");
        Directory.CreateDirectory(root);
        string zip = Path.Combine(root, "images_background.zip");
        DataFiles.WriteOmniglotZip(zip, 1, 1, 2);
        using (var archive = System.IO.Compression.ZipFile.Open(zip, System.IO.Compression.ZipArchiveMode.Update))
        using (var s = archive.CreateEntry("images_background/Alphabet0/character01/bad.png").Open())
            s.Write(DataFiles.Png(105, 105, (_, _) => 0)[..60]);   // a PNG cut short
        AssertOneLineError(CliRunner.Run("data", "info", "omniglot:" + root, "--no-cache"), zip + "!images_background/Alphabet0/character01/bad.png: corrupt image");
    }

    [Fact]
    public void BadIdxFilesAreOneLineErrors()
    {
        DataFiles.WriteMnist(_tmp.Path, "t10k", 3);
        string images = MnistReader.FindHalf(_tmp.Path, "t10k")!.Value.Images;
        File.WriteAllBytes(images, DataFiles.Gzip(DataFiles.Idx([4, 28, 28], new byte[3 * 784])));
        AssertOneLineError(CliRunner.Run("data", "info", "mnist:" + _tmp.Path, "--no-cache"), images, "size does not match the header");
        byte[] wrongMagic = DataFiles.Idx([3, 28, 28], new byte[3 * 784]);
        wrongMagic[3] = 1;
        File.WriteAllBytes(images, DataFiles.Gzip(wrongMagic));
        AssertOneLineError(CliRunner.Run("data", "info", "mnist:" + _tmp.Path, "--no-cache"), images, "wrong magic number");
    }

    [Fact]
    public void EmptyClassFolderIsAOneLineError()
    {
        Directory.CreateDirectory(_tmp.File("a"));
        Directory.CreateDirectory(_tmp.File("b"));
        File.WriteAllBytes(Path.Combine(_tmp.File("a"), "1.png"), DataFiles.Png(5, 5, (_, _) => 0));
        AssertOneLineError(CliRunner.Run("data", "info", "folder:" + _tmp.Path, "--no-cache"), _tmp.File("b"), "class folder has no images");
    }

    [Fact]
    public void BadOptionValuesAreOneLineErrors()
    {
        AssertOneLineError(CliRunner.Run("data", "info", "mnist:" + DataFiles.MnistFolder, "--channels", "cmyk"), "unknown channel mode 'cmyk'");
        AssertOneLineError(CliRunner.Run("data", "info", "mnist:" + DataFiles.MnistFolder, "--size", "-3"), "image size -3");
        AssertOneLineError(CliRunner.Run("data", "info", "mnist:" + DataFiles.MnistFolder, "--no-cache", "--split", "0-4/4-9"), "overlap");
    }
}
