using Lshk.Nn;
using Lshk.Tests.Data;

namespace Lshk.Tests.Cli;

/// <summary>
/// <c>lshk eval</c> end to end with the study's knobs, replayed episode lists (<c>--episodes-file</c>) and a folder of
/// models: the replay round trip on the real MNIST test set, the rest on a small MNIST written by the test (300 images;
/// the default split tests on digits 5–9, 30 images each).
/// </summary>
public sealed class EvalReplayTests : IDisposable
{
    private readonly TempFolder _dir = new();
    private readonly string _mnist;
    private readonly string _model;

    public EvalReplayTests()
    {
        _mnist = _dir.File("mnist");
        Directory.CreateDirectory(_mnist);
        DataFiles.WriteMnist(_mnist, "t10k", 300);
        _model = EmbedderTests.SaveRandomModel(_dir, new ConvNetConfig(Blocks: 2, Filters: 4));
    }

    public void Dispose() => _dir.Dispose();

    private string[] Eval(string csv, params string[] more) => EvalOn(_mnist, csv, more);

    private string[] EvalOn(string mnist, string csv, params string[] more) =>
        ["eval", "--model", _model, "--data", "mnist:" + mnist, "--no-cache", "--device", "cpu", "--planes", "8,16",
            "--hash", "gaussian,integer", "--csv", _dir.File(csv), .. more];

    private (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    /// <summary>The CSV's rows as column → value maps.</summary>
    internal static List<Dictionary<string, string>> Rows(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => header.Zip(l.Split(','), (h, v) => (h, v)).ToDictionary(p => p.h, p => p.v)).ToList();
    }

    /// <summary>The rows without the columns that may differ between equal evaluations: times, the data path, the protocol.</summary>
    private static List<string> Results(string path) =>
        Rows(path).Select(r => string.Join(",", r.Where(kv => kv.Key is not ("protocol" or "data" or "hash_ms_per_episode" or "match_ms_per_episode"))
            .Select(kv => $"{kv.Key}={kv.Value}"))).ToList();

    private static void OneLineError((int Code, string Out, string Err) result, params string[] mustContain)
    {
        Assert.NotEqual(0, result.Code);
        string err = result.Err.Trim();
        Assert.Single(err.Split('\n'));
        foreach (var text in mustContain) Assert.Contains(text, err);
    }

    [Fact]
    public void ReplayedEpisodesGiveTheSameResultsAsTheSeed()
    {
        // The real MNIST test set (digits 5–9 under the default split: 4,861 images).
        string real = DataFiles.MnistFolder, cache = _dir.File("cache");
        string episodes = _dir.File("e.json");
        var drawn = Run("data", "episodes", "mnist:" + real, "--cache-dir", cache, "--ways", "4", "--shots", "2", "--queries", "3",
            "--episodes", "12", "--seed", "9", "--out", episodes);
        Assert.True(drawn.Code == 0, drawn.Err);

        var replay = Run(EvalOn(real, "replay.csv", "--episodes-file", episodes));
        Assert.True(replay.Code == 0, replay.Err);
        var fresh = Run(EvalOn(real, "fresh.csv", "--ways", "4", "--shots", "2", "--queries", "3", "--episodes", "12", "--seed", "9"));
        Assert.True(fresh.Code == 0, fresh.Err);
        Assert.Equal(Results(_dir.File("fresh.csv")), Results(_dir.File("replay.csv")));
        Assert.All(Rows(_dir.File("replay.csv")), r => Assert.Equal("episodes-file", r["protocol"]));
        Assert.All(Rows(_dir.File("fresh.csv")), r => Assert.Equal("fresh-episodes", r["protocol"]));

        // The same images from other files (uncompressed IDX instead of gzip) are the same content: accepted, same results.
        string raw = _dir.File("raw");
        Directory.CreateDirectory(raw);
        foreach (string name in new[] { "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" })
        {
            using var gz = new System.IO.Compression.GZipStream(File.OpenRead(Path.Combine(real, name + ".gz")), System.IO.Compression.CompressionMode.Decompress);
            using var file = File.Create(Path.Combine(raw, name));
            gz.CopyTo(file);
        }
        var same = Run(EvalOn(raw, "raw.csv", "--episodes-file", episodes));
        Assert.True(same.Code == 0, same.Err);
        Assert.Equal(Results(_dir.File("replay.csv")), Results(_dir.File("raw.csv")));

        // One pixel of the first test-split image (a digit 5 to 9) changed: other images, refused naming the file.
        const int imageHeader = 16, labelHeader = 8, pixels = 784;
        var labels = File.ReadAllBytes(Path.Combine(raw, "t10k-labels-idx1-ubyte"));
        int image = Array.FindIndex(labels, labelHeader, l => l >= 5) - labelHeader;
        string images = Path.Combine(raw, "t10k-images-idx3-ubyte");
        var bytes = File.ReadAllBytes(images);
        bytes[imageHeader + image * pixels + pixels / 2] ^= 0x5A;
        File.WriteAllBytes(images, bytes);
        OneLineError(Run(EvalOn(raw, "tampered.csv", "--episodes-file", episodes)), episodes, "other images");
        Assert.False(File.Exists(_dir.File("tampered.csv")));
    }

    [Fact]
    public void EpisodeFilesRefuseConflictsOtherPreprocessingAndBadIndices()
    {
        string episodes = _dir.File("e.json");
        Assert.Equal(0, Run("data", "episodes", "mnist:" + _mnist, "--no-cache", "--ways", "3", "--queries", "2",
            "--episodes", "5", "--out", episodes).Code);
        OneLineError(Run(Eval("a.csv", "--episodes-file", episodes, "--ways", "5")), "--ways", "e.json", "3-way");
        OneLineError(Run(Eval("a.csv", "--episodes-file", episodes, "--seed", "2")), "--seed", "seed 1");
        OneLineError(Run(Eval("a.csv", "--episodes-file", episodes, "--trial-queries", "1")), "--trial-queries");
        // A value equal to the file's is no conflict.
        Assert.Equal(0, Run(Eval("a.csv", "--episodes-file", episodes, "--ways", "3", "--episodes", "5")).Code);

        // Episodes drawn at another size: the model takes 28×28, the list was drawn from 32×32 images.
        string resized = _dir.File("e32.json");
        Assert.Equal(0, Run("data", "episodes", "mnist:" + _mnist, "--no-cache", "--size", "32", "--ways", "3", "--queries", "2",
            "--episodes", "5", "--out", resized).Code);
        OneLineError(Run(Eval("b.csv", "--episodes-file", resized)), "e32.json", "1×32×32", "1×28×28", "other preprocessing");

        // An image index beyond the 150 test images.
        string text = File.ReadAllText(episodes);
        int at = text.IndexOf("\"support\": [", StringComparison.Ordinal) + "\"support\": [".Length;
        int end = text.IndexOf(',', at);
        File.WriteAllText(episodes, text[..at] + "150" + text[end..]);
        OneLineError(Run(Eval("c.csv", "--episodes-file", episodes)), "e.json", "episode 0: image indices must be distinct and below 150");
    }

    [Fact]
    public void StudyKnobsReachTheCsv()
    {
        var run = Run(Eval("k.csv", "--ways", "5", "--shots", "1", "--trial-queries", "1", "--episodes", "40", "--range", "3",
            "--sigmoid-k", "1", "--center", "off", "--fixed-support", "--methods", "cosine,hamming,sigmoid"));
        Assert.True(run.Code == 0, run.Err);
        var rows = Rows(_dir.File("k.csv"));
        Assert.All(rows, r =>
        {
            Assert.Equal("3", r["integer_range"]);
            Assert.Equal("1", r["sigmoid_k"]);
            Assert.Equal("off", r["center"]);
            Assert.Equal("1", r["queries_per_episode"]);
        });
        double Value(Dictionary<string, string> r, string column) => double.Parse(r[column], System.Globalization.CultureInfo.InvariantCulture);
        foreach (var r in rows.Where(r => r["protocol"] == "fresh-episodes"))
        {
            // One query per episode: each episode scores 0 or 1, so mean × episodes is a whole number.
            double correct = Value(r, "mean") * 40;
            Assert.Equal(Math.Round(correct), correct, 9);
        }
        // The fixed support set has one query here: its Wilson interval over 1 query is [0, 0.79] or [0.21, 1].
        foreach (var r in rows.Where(r => r["protocol"] == "fixed-support"))
        {
            Assert.Equal("1", r["episodes"]);
            Assert.Equal(Value(r, "mean") == 1 ? 0.2065 : 0.0, Value(r, "ci95_low"), 4);
        }
        Assert.Equal(rows.Count / 2, rows.Count(r => r["protocol"] == "fixed-support"));

        OneLineError(Run(Eval("x.csv", "--range", "0")), "--range");
        OneLineError(Run(Eval("x.csv", "--sigmoid-k", "0")), "--sigmoid-k");
        OneLineError(Run(Eval("x.csv", "--trial-queries", "1", "--queries", "3")), "--trial-queries", "--queries");
        OneLineError(Run(Eval("x.csv", "--plot-x", "ways")), "--plot-x");
        var help = Run("eval", "--help");
        Assert.Contains("the original study's setting", help.Out);
    }

    [Fact]
    public void AFolderOfModelsIsEvaluatedOnTheSameEpisodes()
    {
        string models = _dir.File("models");
        Directory.CreateDirectory(models);
        File.Copy(_model, Path.Combine(models, "first.safetensors"));
        File.Copy(_model, Path.Combine(models, "second.safetensors"));
        File.WriteAllText(Path.Combine(models, "notes.txt"), "not a model");
        var run = Run(["eval", "--model", models, "--data", "mnist:" + _mnist, "--no-cache", "--device", "cpu", "--planes", "8,16",
            "--hash", "gaussian", "--ways", "3,5", "--shots", "1,2", "--episodes", "6", "--queries", "2", "--csv", _dir.File("m.csv"),
            "--json", _dir.File("m.json"), "--plot", _dir.File("m.png"), "--plot-x", "shots"]);
        Assert.True(run.Code == 0, run.Err);
        var rows = Rows(_dir.File("m.csv"));
        var first = rows.Where(r => r["model"] == "first.safetensors").ToList();
        var second = rows.Where(r => r["model"] == "second.safetensors").ToList();
        Assert.Equal(rows.Count, first.Count + second.Count);
        Assert.Equal(2 * 2 * 2 * 6, first.Count);
        // The same network under two names, on the same episodes: every accuracy agrees, row by row.
        string[] Accuracies(List<Dictionary<string, string>> model) =>
            model.Select(r => $"{r["testing_classes"]},{r["testing_supports"]},{r["testing_planes"]},{r["method"]},{r["mean"]},{r["ci95"]}").ToArray();
        Assert.Equal(Accuracies(first), Accuracies(second));
        Assert.Contains(first, r => r["method"] == "cosine" && double.Parse(r["mean"], System.Globalization.CultureInfo.InvariantCulture) > 0);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(_dir.File("m.json")));
        Assert.Equal(2, json.RootElement.GetProperty("models").GetArrayLength());
        byte[] png = File.ReadAllBytes(_dir.File("m.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);

        string empty = _dir.File("empty");
        Directory.CreateDirectory(empty);
        OneLineError(Run("eval", "--model", empty, "--data", "mnist:" + _mnist), "empty", "no .safetensors model files");
    }
}
