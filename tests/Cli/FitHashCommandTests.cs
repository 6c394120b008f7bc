using System.Globalization;
using Lshk.Nn;
using Lshk.Tests.Data;

namespace Lshk.Tests.Cli;

/// <summary>
/// <c>lshk fit-hash</c> end to end on Omniglot: planes fitted to the background (training) alphabets stored in a new
/// model file, then used by enroll, classify and eval; its one-line errors.
/// </summary>
public class FitHashCommandTests
{
    private static readonly string Omniglot = "omniglot:" + DataFiles.OmniglotFolder;

    [Fact]
    public void StoredItqPlanesServeEnrollClassifyAndEvalLikeFittingThemAgain()
    {
        using var dir = new TempFolder();
        // 3 blocks of 8 filters: 72-d embeddings, so the fit on 19,280 background images is quick.
        string model = EmbedderTests.SaveRandomModel(dir, new ConvNetConfig(Blocks: 3, Filters: 8));
        string fitted = dir.File("fitted.safetensors"), cache = dir.File("cache");
        var fit = CliRunner.Run("fit-hash", "--model", model, "--hash", "itq", "--planes", "16", "--data", Omniglot, "--cache-dir", cache,
            "--device", "cpu", "--out", fitted);
        Assert.True(fit.Code == 0, fit.Err);
        Assert.Contains("fitted 16 itq planes to 19280 images of 964 training classes", fit.Err);

        // Eval of the stored planes equals eval fitting the same family, count and seed on the fly.
        string[] Eval(string m, string csv) => ["eval", "--model", m, "--data", Omniglot, "--ways", "5", "--shots", "1", "--planes", "16",
            "--hash", "itq", "--methods", "hamming,asymmetric", "--episodes", "5", "--queries", "2", "--cache-dir", cache, "--device", "cpu", "--csv", csv];
        var fromFile = CliRunner.Run(Eval(fitted, dir.File("a.csv")));
        Assert.True(fromFile.Code == 0, fromFile.Err);
        Assert.Contains("the model stores 16 itq planes", fromFile.Err);
        Assert.DoesNotContain("training images", fromFile.Err);   // nothing fitted: the training classes are not even loaded
        var onTheFly = CliRunner.Run(Eval(model, dir.File("b.csv")));
        Assert.True(onTheFly.Code == 0, onTheFly.Err);
        Assert.Equal(Means(dir.File("b.csv")), Means(dir.File("a.csv")));

        string support = EnrollCommandTests.SupportFolder(dir, "s", characters: 3, drawings: 1);
        string queries = EnrollCommandTests.SupportFolder(dir, "q", characters: 3, drawings: 1, skipDrawings: 1);
        var enroll = CliRunner.Run("enroll", "--model", fitted, "--support", support, "--hash", "itq", "--out", dir.File("i.lshi"));
        Assert.True(enroll.Code == 0, enroll.Err);
        var classify = CliRunner.Run("classify", "--model", fitted, "--index", dir.File("i.lshi"), queries, "--method", "asymmetric");
        Assert.True(classify.Code == 0, classify.Err);
        Assert.Equal(3, classify.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        // A model without itq planes cannot enroll with them.
        var none = CliRunner.Run("enroll", "--model", model, "--support", support, "--hash", "itq", "--out", dir.File("j.lshi"));
        Assert.NotEqual(0, none.Code);
        Assert.Contains("stores none of that family", none.Err);
        Assert.Single(none.Err.Trim().Split('\n'));
    }

    [Fact]
    public void AStoredOpqCodebookServesEvalLikeFittingItAgain()
    {
        using var dir = new TempFolder();
        string model = EmbedderTests.SaveRandomModel(dir, new ConvNetConfig(Blocks: 3, Filters: 8));   // 72-d
        string fitted = dir.File("fitted.safetensors"), cache = dir.File("cache");
        var fit = CliRunner.Run("fit-hash", "--model", model, "--hash", "opq", "--planes", "16", "--data", Omniglot, "--cache-dir", cache,
            "--device", "cpu", "--out", fitted);
        Assert.True(fit.Code == 0, fit.Err);
        Assert.Contains("fitted a 16-bit opq codebook to 19280 images of 964 training classes", fit.Err);

        string[] Eval(string m, string csv) => ["eval", "--model", m, "--data", Omniglot, "--ways", "5", "--shots", "1", "--planes", "16",
            "--hash", "opq", "--methods", "asymmetric", "--fitted-center", "training,support", "--episodes", "5", "--queries", "2",
            "--cache-dir", cache, "--device", "cpu", "--csv", csv];
        var fromFile = CliRunner.Run(Eval(fitted, dir.File("a.csv")));
        Assert.True(fromFile.Code == 0, fromFile.Err);
        Assert.Contains("the model stores a 16-bit opq codebook", fromFile.Err);
        Assert.DoesNotContain("training images", fromFile.Err);   // nothing fitted: the training classes are not even loaded
        var onTheFly = CliRunner.Run(Eval(model, dir.File("b.csv")));
        Assert.True(onTheFly.Code == 0, onTheFly.Err);
        Assert.Contains("training images", onTheFly.Err);
        Assert.Equal(Means(dir.File("b.csv")), Means(dir.File("a.csv")));

        // the network is untouched: the fitted file embeds exactly as the original
        var a = CliRunner.Run("embed", EnrollCommandTests.SupportFolder(dir, "s", characters: 2, drawings: 1), "--model", model, "--out", dir.File("a.npy"), "--device", "cpu");
        var b = CliRunner.Run("embed", dir.File("s"), "--model", fitted, "--out", dir.File("b.npy"), "--device", "cpu");
        Assert.True(a.Code == 0 && b.Code == 0, a.Err + b.Err);
        Assert.Equal(File.ReadAllBytes(dir.File("a.npy")), File.ReadAllBytes(dir.File("b.npy")));

        // The stored codebook makes an index: enroll codes the supports, classify scores them (asymmetric by default),
        // the same as classifying against the support folder on the fly; more classes are added with the frozen shift.
        string support = EnrollCommandTests.SupportFolder(dir, "t", characters: 3, drawings: 1);
        string queries = EnrollCommandTests.SupportFolder(dir, "q", characters: 3, drawings: 1, skipDrawings: 1);
        string index = dir.File("opq.lshi");
        var enroll = CliRunner.Run("enroll", "--model", fitted, "--support", support, "--hash", "opq", "--out", index, "--device", "cpu");
        Assert.True(enroll.Code == 0, enroll.Err);
        Assert.Contains("with 16-bit opq codes (codebook seed 1), centring on", enroll.Err);
        var stored = Lshk.Lsh.Index.SupportIndexFile.Read(index);
        Assert.Equal(("opq", 16, 3), (stored.Family.Name, stored.Bits, stored.Count));
        var byIndex = CliRunner.Run("classify", "--model", fitted, "--index", index, queries, "--top", "3", "--device", "cpu");
        Assert.True(byIndex.Code == 0, byIndex.Err);
        Assert.Contains("(asymmetric, 16-bit opq codes)", byIndex.Err);
        Assert.Equal(3, byIndex.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var fromFolder = CliRunner.Run("classify", "--model", fitted, "--support", support, "--hash", "opq", queries, "--top", "3", "--device", "cpu");
        Assert.True(fromFolder.Code == 0, fromFolder.Err);
        Assert.Equal(byIndex.Out, fromFolder.Out);
        var hamming = CliRunner.Run("classify", "--model", fitted, "--index", index, queries, "--method", "hamming", "--device", "cpu");
        Assert.Equal(2, hamming.Code);
        Assert.Equal("lshk: error: --method hamming: opq codes are product-quantiser bytes, not a Hamming code; use --method asymmetric or cosine",
            hamming.Err.Trim());
        string more = EnrollCommandTests.SupportFolder(dir, "m", characters: 5, drawings: 1);
        var add = CliRunner.Run("enroll", "--model", fitted, "--add", more, "--out", index, "--device", "cpu");
        Assert.True(add.Code == 0, add.Err);
        var grown = Lshk.Lsh.Index.SupportIndexFile.Read(index);
        Assert.Equal(stored.Codebook!.Shift, grown.Codebook!.Shift);
        Assert.Equal(5, grown.ClassCount);

        // The model without a codebook cannot make such an index.
        var none = CliRunner.Run("enroll", "--model", model, "--support", support, "--hash", "opq", "--out", dir.File("none.lshi"));
        Assert.Equal(1, none.Code);
        Assert.Contains("stores none (fit one with lshk fit-hash)", none.Err);
        Assert.Single(none.Err.Trim().Split('\n'));
    }

    [Fact]
    public void OnlyFittedFamiliesAreStored()
    {
        using var dir = new TempFolder();
        string model = EmbedderTests.SaveRandomModel(dir, new ConvNetConfig(Blocks: 3, Filters: 8));
        foreach (string family in new[] { "gaussian", "one-rest" })
        {
            var run = CliRunner.Run("fit-hash", "--model", model, "--hash", family, "--out", dir.File("x.safetensors"));
            Assert.Equal(2, run.Code);
            Assert.StartsWith($"lshk: error: --hash {family}: its planes are", run.Err.Trim());
            Assert.False(File.Exists(dir.File("x.safetensors")));
        }
    }

    private static string[] Means(string csv)
    {
        var lines = File.ReadAllLines(csv);
        int mean = Array.IndexOf(lines[0].Split(','), "mean"), method = Array.IndexOf(lines[0].Split(','), "method");
        return lines.Skip(1).Select(l => l.Split(',')).Select(r => r[method] + "=" + r[mean]).ToArray();
    }
}
