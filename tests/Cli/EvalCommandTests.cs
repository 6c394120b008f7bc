using System.Text.Json;
using Lshk.Nn;
using Lshk.Tests.Data;

namespace Lshk.Tests.Cli;

/// <summary><c>lshk eval</c> end to end on real Omniglot evaluation data, and its one-line errors.</summary>
public class EvalCommandTests
{
    private static readonly string Omniglot = "omniglot:" + DataFiles.OmniglotFolder;

    private static void AssertOneLineError((int Code, string Out, string Err) result, params string[] mustContain)
    {
        Assert.NotEqual(0, result.Code);
        string err = result.Err.Trim();
        Assert.Single(err.Split('\n'));
        Assert.DoesNotContain("   at ", err);
        foreach (var text in mustContain) Assert.Contains(text, err);
    }

    /// <summary>The CSV without its last two columns (the times, which vary from run to run).</summary>
    private static string WithoutTimes(string csv) =>
        string.Join("\n", csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(",", l.Split(',')[..^2])));

    [Fact]
    public void FullGridOnOmniglotWithARandomModel()
    {
        using var dir = new TempFolder();
        string model = EmbedderTests.SaveRandomModel(dir, new ConvNetConfig(Blocks: 3, Filters: 8));
        string[] Args(string csv, int threads, string seed = "5", params string[] more) =>
        [
            "eval", "--model", model, "--data", Omniglot, "--episodes", "6", "--queries", "3", "--seed", seed,
            "--cache-dir", dir.File("cache"), "--device", "cpu", "--threads", threads.ToString(), "--csv", csv, .. more,
        ];
        var run = CliRunner.Run(Args(dir.File("a.csv"), 1, "5", "--json", dir.File("a.json"), "--plot", dir.File("a.png")));
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("20-way 5-shot", run.Out);
        Assert.Contains("hamming-proto", run.Out);

        // One row per (ways, shots, hash family, planes, method): 2 × 2 × 3 × 4 × 6, plus the header.
        var lines = File.ReadAllLines(dir.File("a.csv"));
        Assert.Equal(1 + 2 * 2 * 3 * 4 * 6, lines.Length);
        var header = lines[0].Split(',');
        foreach (var column in new[] { "layers", "testing_classes", "testing_supports", "testing_planes", "accuracy", "mean", "ci95",
                     "episodes", "bytes_per_support", "match_ms_per_episode" })
            Assert.Contains(column, header);
        int Col(string name) => Array.IndexOf(header, name);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(288, rows.Select(r => (r[Col("testing_classes")], r[Col("testing_supports")], r[Col("hash")], r[Col("testing_planes")], r[Col("method")])).Distinct().Count());
        foreach (var r in rows)
        {
            double mean = double.Parse(r[Col("mean")], System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(mean, 0, 1);
            Assert.Equal("6", r[Col("episodes")]);
            int planes = int.Parse(r[Col("testing_planes")]);
            Assert.Equal(r[Col("method")] is "hamming" or "hamming-proto" ? planes / 8 : r[Col("method")] == "sigmoid" ? 4 * planes : 4 * int.Parse(r[Col("embedding_dim")]),
                int.Parse(r[Col("bytes_per_support")]));
        }
        // Even an untrained network (3 blocks of 8 filters: 72-d embeddings) is well above chance (1/20) in 20-way cosine.
        double cosine20 = rows.Where(r => r[Col("testing_classes")] == "20" && r[Col("method")] == "cosine")
            .Select(r => double.Parse(r[Col("mean")], System.Globalization.CultureInfo.InvariantCulture)).First();
        Assert.True(cosine20 > 0.12, $"20-way cosine accuracy {cosine20}");

        byte[] png = File.ReadAllBytes(dir.File("a.png"));
        Assert.True(png.Length > 10_000);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("a.json")));
        Assert.Equal(288, json.RootElement.GetProperty("rows").GetArrayLength());

        // Same seed, same model: the same CSV (times aside), whatever the number of threads.
        var again = CliRunner.Run(Args(dir.File("b.csv"), 2));
        Assert.True(again.Code == 0, again.Err);
        Assert.Equal(WithoutTimes(File.ReadAllText(dir.File("a.csv"))), WithoutTimes(File.ReadAllText(dir.File("b.csv"))));
        // Another seed draws other episodes (and planes).
        var other = CliRunner.Run(Args(dir.File("c.csv"), 2, "6"));
        Assert.True(other.Code == 0, other.Err);
        Assert.NotEqual(WithoutTimes(File.ReadAllText(dir.File("a.csv"))), WithoutTimes(File.ReadAllText(dir.File("c.csv"))));
    }

    [Fact]
    public void MissingModelIsAOneLineError()
    {
        using var dir = new TempFolder();
        AssertOneLineError(CliRunner.Run("eval", "--model", dir.File("nope.safetensors"), "--data", Omniglot),
            "nope.safetensors", "not found");
    }

    [Fact]
    public void BadPlanesAreOneLineErrors()
    {
        using var dir = new TempFolder();
        string model = EmbedderTests.SaveRandomModel(dir, new ConvNetConfig(Blocks: 2, Filters: 4));
        AssertOneLineError(CliRunner.Run("eval", "--model", model, "--data", Omniglot, "--planes", "16,abc"), "abc");
        AssertOneLineError(CliRunner.Run("eval", "--model", model, "--data", Omniglot, "--planes", "0"), "--planes");
        AssertOneLineError(CliRunner.Run("eval", "--model", model, "--data", Omniglot, "--hash", "gaussian,cauchy"), "cauchy");
        AssertOneLineError(CliRunner.Run("eval", "--model", model, "--data", Omniglot, "--center", "maybe"), "--center");
    }

    [Fact]
    public void MoreWaysThanClassesIsAOneLineError()
    {
        using var dir = new TempFolder();
        string model = EmbedderTests.SaveRandomModel(dir, new ConvNetConfig(Blocks: 2, Filters: 4));
        AssertOneLineError(CliRunner.Run("eval", "--model", model, "--data", Omniglot, "--ways", "5,700", "--episodes", "2",
            "--cache-dir", dir.File("cache")), "--ways 700", "659");
    }

    [Fact]
    public void TestTimeViewsAreAppliedAndNamedInTheCsv()
    {
        using var dir = new TempFolder();
        string model = EmbedderTests.SaveRandomModel(dir, new ConvNetConfig(Blocks: 3, Filters: 8));
        string[] Args(string csv, params string[] more) =>
        [
            "eval", "--model", model, "--data", Omniglot, "--ways", "5", "--shots", "1", "--planes", "32", "--hash", "gaussian",
            "--methods", "cosine,hamming", "--episodes", "20", "--queries", "3", "--cache-dir", dir.File("cache"), "--device", "cpu",
            "--csv", csv, .. more,
        ];
        var plain = CliRunner.Run(Args(dir.File("plain.csv")));
        Assert.True(plain.Code == 0, plain.Err);
        var viewed = CliRunner.Run(Args(dir.File("views.csv"), "--views", "3", "--view-distortion", "rotate:20,shift:2"));
        Assert.True(viewed.Code == 0, viewed.Err);
        Assert.Contains("each the mean of 3 views (shift:2,rotate:20)", viewed.Err);
        string[] Column(string file, string name)
        {
            var lines = File.ReadAllLines(file);
            int at = Array.IndexOf(lines[0].Split(','), name);
            Assert.True(at >= 0, $"no {name} column");
            return lines.Skip(1).Select(l => System.Text.RegularExpressions.Regex.Split(l, ",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)")[at]).ToArray();
        }
        Assert.All(Column(dir.File("plain.csv"), "views"), v => Assert.Equal("1", v));
        Assert.All(Column(dir.File("views.csv"), "views"), v => Assert.Equal("3", v));
        Assert.All(Column(dir.File("views.csv"), "view_distortion"), v => Assert.Equal("\"shift:2,rotate:20\"", v));
        // the same episodes on other embeddings: the accuracies move
        Assert.NotEqual(Column(dir.File("plain.csv"), "accuracy"), Column(dir.File("views.csv"), "accuracy"));

        AssertOneLineError(CliRunner.Run(Args(dir.File("x.csv"), "--views", "0")), "--views", "1 to 256");
        AssertOneLineError(CliRunner.Run(Args(dir.File("x.csv"), "--view-distortion", "rotate:5")), "--view-distortion needs --views above 1");
    }
}
