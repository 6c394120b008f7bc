using System.Globalization;
using Lshk.Nn;
using Lshk.Tests.Data;

namespace Lshk.Tests.Cli;

/// <summary>
/// <c>lshk eval</c> with fitted and per-episode families and the asymmetric method on real Omniglot, and the
/// commands that build an index refusing per-episode planes with one line.
/// </summary>
public class FittedFamilyCommandTests
{
    [Fact]
    public void EvalRunsEveryKindOfFamilyAndSaysWhatEachIsCentredOn()
    {
        using var dir = new TempFolder();
        // 3 blocks of 8 filters: 72-d embeddings, so fitting PCA/ITQ to the 19,280 background images is quick.
        string model = EmbedderTests.SaveRandomModel(dir, new ConvNetConfig(Blocks: 3, Filters: 8));
        string csv = dir.File("e.csv");
        var run = CliRunner.Run("eval", "--model", model, "--data", "omniglot:" + DataFiles.OmniglotFolder, "--ways", "5",
            "--shots", "1", "--planes", "4,16", "--hash", "gaussian,pca,itq,one-rest", "--methods", "cosine,hamming,asymmetric",
            "--fitted-center", "training,support", "--episodes", "4", "--queries", "2", "--cache-dir", dir.File("cache"), "--device", "cpu", "--csv", csv);
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("training images of 964 classes", run.Err);   // the background alphabets: the training classes

        var lines = File.ReadAllLines(csv);
        var header = lines[0].Split(',');
        int Col(string name) => Array.IndexOf(header, name);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(6 * 2 * 3, rows.Length);   // (families, fitted ones at both centres) × plane counts × methods
        string[] CentersOf(string hash) => rows.Where(r => r[Col("hash")] == hash && r[Col("method")] == "hamming" && r[Col("testing_planes")] == "16")
            .Select(r => r[Col("center")]).ToArray();
        Assert.Equal(["on"], CentersOf("gaussian"));
        Assert.Equal(["training-mean", "support-mean"], CentersOf("pca"));
        Assert.Equal(["training-mean", "support-mean"], CentersOf("itq"));
        Assert.Equal(["support-mean"], CentersOf("one-rest"));
        // The table names a family evaluated at two centres with its centre.
        Assert.Contains("itq (support-mean)", run.Out);
        Assert.Contains("itq (training-mean)", run.Out);
        // One-rest at 4 planes in 5-way episodes is the single code: one plane per class.
        Assert.Contains(rows, r => r[Col("hash")] == "one-rest" && r[Col("testing_planes")] == "5");
        Assert.All(rows, r => Assert.InRange(double.Parse(r[Col("mean")], CultureInfo.InvariantCulture), 0, 1));
    }

    [Fact]
    public void AnUnknownFittedCentreIsOneLine()
    {
        var run = CliRunner.Run("eval", "--model", "m.safetensors", "--fitted-center", "median");
        Assert.Equal(2, run.Code);
        Assert.Equal("lshk: error: --fitted-center values are training and support (got 'median')", run.Err.Trim());
    }

    [Fact]
    public void EnrollAndClassifyRefuseFamiliesAnIndexCannotHoldWithOneLine()
    {
        using var dir = new TempFolder();
        string model = ClassifyTestModels.SaveRandom(dir.File("m.safetensors"), ClassifyTestModels.Omniglot);
        string support = EnrollCommandTests.SupportFolder(dir, "s", characters: 2, drawings: 1);
        var enroll = CliRunner.Run("enroll", "--model", model, "--support", support, "--out", dir.File("i.lshi"), "--hash", "one-rest");
        Assert.Equal(2, enroll.Code);
        Assert.Equal("lshk: error: --hash one-rest: its planes are fitted to one episode's classes, so an index (which can gain classes) " +
                     "cannot use them; compare it with lshk eval --hash", enroll.Err.Trim());
        Assert.False(File.Exists(dir.File("i.lshi")));
        var classify = CliRunner.Run("classify", "--model", model, "--support", support, "--hash", "ovr", support);
        Assert.Equal(2, classify.Code);
        Assert.Contains("--hash one-rest: its planes are fitted to one episode's classes", classify.Err);
    }

    [Fact]
    public void EnrollRefusesProductQuantiserCodesWithoutTheModelsCodebookInOneLine()
    {
        using var dir = new TempFolder();
        string model = ClassifyTestModels.SaveRandom(dir.File("m.safetensors"), ClassifyTestModels.Omniglot);
        string support = EnrollCommandTests.SupportFolder(dir, "s", characters: 2, drawings: 1);
        var enroll = CliRunner.Run("enroll", "--model", model, "--support", support, "--out", dir.File("i.lshi"), "--hash", "pq");
        Assert.Equal(1, enroll.Code);
        Assert.Equal($"lshk: error: hash pq codes need the model's codebook, and {model} stores none (fit one with lshk fit-hash)",
            enroll.Err.Trim());
        Assert.False(File.Exists(dir.File("i.lshi")));
    }
}
