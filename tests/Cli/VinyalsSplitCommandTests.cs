using Lshk.App.Training;
using Lshk.Data.Datasets;
using Lshk.Tests.Data;

namespace Lshk.Tests.Cli;

/// <summary>
/// A model trained under a split remembers it, and evaluation tests it on the classes that split left out unless
/// told otherwise; a resumed run must ask for the same split.
/// </summary>
public sealed class VinyalsSplitCommandTests
{
    private static readonly string Cache = Path.Combine(Path.GetTempPath(), "lshk-vinyals-tests-cache");

    /// <summary>Vinyals' test classes: 423 characters × 4 rotations; the official split's: the 659 evaluation characters.</summary>
    private const int VinyalsTestClasses = 1692, OfficialTestClasses = 659;

    [Fact]
    public void ATrainedModelIsEvaluatedUnderItsOwnSplit()
    {
        using var dir = new TempFolder();
        string model = dir.File("vinyals.safetensors");
        var train = CliRunner.Run("train", "--data", "omniglot:" + DataFiles.OmniglotFolder, "--split", "vinyals", "--cache-dir", Cache,
            "--ways", "5", "--shots", "1", "--queries", "2", "--layers", "2", "--filters", "8", "--episodes", "2", "--hash-bits", "0",
            "--validate-every", "0", "--summary-episodes", "0", "--checkpoint-every", "0", "--out", model);
        Assert.True(train.Code == 0, train.Err);
        Assert.Contains("vinyals: 1200 characters train, 423 × 4 rotations test", train.Out);

        string[] Eval(params string[] more) =>
        [
            "eval", "--model", model, "--data", "omniglot:" + DataFiles.OmniglotFolder, "--cache-dir", Cache, "--ways", "5", "--shots", "1", "--episodes", "5", "--methods", "cosine",
            "--device", "cpu", .. more,
        ];
        // The split column says which classes each row was tested on.
        string SplitColumn(string csv)
        {
            var lines = File.ReadAllLines(csv);
            int column = Array.IndexOf(lines[0].Split(','), "split");
            return Assert.Single(lines.Skip(1).Select(l => l.Split(',')[column]).Distinct());
        }
        var own = CliRunner.Run(Eval("--csv", dir.File("own.csv")));
        Assert.True(own.Code == 0, own.Err);
        Assert.Contains($"images of {VinyalsTestClasses} classes", own.Err);
        Assert.Equal("vinyals", SplitColumn(dir.File("own.csv")));
        var official = CliRunner.Run(Eval("--split", "official", "--csv", dir.File("official.csv")));
        Assert.True(official.Code == 0, official.Err);
        Assert.Contains($"images of {OfficialTestClasses} classes", official.Err);
        Assert.Equal("official", SplitColumn(dir.File("official.csv")));
    }

    [Fact]
    public void TheSplitIsStoredAndFingerprintedOnlyWhenAskedFor()
    {
        var plain = TrainingJob.Settings(TrainCommandTests.TinyRequest()).Settings;
        var vinyals = TrainingJob.Settings(TrainCommandTests.TinyRequest() with { Split = " Vinyals" }).Settings;
        Assert.Equal(OmniglotDataset.VinyalsSplit, vinyals.Split);
        Assert.Equal(OmniglotDataset.VinyalsSplit, vinyals.ToMetadata(1, null)["lshk.train.split"]);
        Assert.False(plain.ToMetadata(1, null).ContainsKey("lshk.train.split"));
        // A checkpoint of one split does not resume under another.
        Assert.NotEqual(plain.Fingerprint(), vinyals.Fingerprint());
        Assert.DoesNotContain("split", plain.Fingerprint());
    }
}
