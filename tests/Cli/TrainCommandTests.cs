using System.Diagnostics;
using Lshk.App.Modeling;
using Lshk.App.Training;
using Lshk.Data.Sources;
using Lshk.Data.Imaging;
using Lshk.Kernels.Cpu;
using Lshk.Nn.ModelFiles;
using Lshk.Tests.Data;

namespace Lshk.Tests.Cli;

/// <summary>
/// <c>lshk train</c> end to end on real Omniglot with tiny budgets (5-way episodes, 2 blocks × 8 filters): the model
/// file and its metadata, the CSV log, the summary, exact resumption after SIGKILL, and one-line errors.
/// </summary>
public class TrainCommandTests(ITestOutputHelper testLog)
{
    /// <summary>A dataset cache shared by these tests (and kept between runs: entries are keyed by the source files).</summary>
    private static readonly string Cache = Path.Combine(Path.GetTempPath(), "lshk-train-tests-cache");

    private static string[] TinyRun(string output, int episodes, params string[] more) =>
    [
        "train", "--data", "omniglot:" + DataFiles.OmniglotFolder, "--cache-dir", Cache, "--ways", "5", "--shots", "2", "--queries", "3",
        "--layers", "2", "--filters", "8", "--episodes", episodes.ToString(), "--validation-episodes", "30", "--out", output,
        .. more,
    ];

    /// <summary>
    /// How far above the untrained network's validation score (52.3% in these runs) a trained one must be: the
    /// validation score's noise over its 30 episodes per task is about a point, the short runs here gain 5 to 17.
    /// </summary>
    internal const double TrainedMargin = 0.04;

    /// <summary>The settings of <see cref="TinyRun"/>, as the training job takes them.</summary>
    internal static TrainRequest TinyRequest() =>
        new(DatasetSpec.Parse("omniglot:" + DataFiles.OmniglotFolder), "unused.safetensors")
        {
            Ways = 5, Shots = 2, Queries = 3, Layers = 2, Filters = 8, ValidationEpisodes = 30,
        };

    [Fact]
    public void ShortRunWritesALoadableModelWithItsMetadataLogAndSummary()
    {
        using var dir = new TempFolder();
        string model = dir.File("model.safetensors"), log = dir.File("run.csv");
        var (code, output, error) = CliRunner.Run(TinyRun(model, 40, "--validate-every", "20", "--log", log, "--log-every", "10",
            "--summary-episodes", "20", "--checkpoint-every", "0", "--lr", "0.003", "--loss", "matching"));
        Assert.True(code == 0, error);

        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(model, backend);
        var m = embedder.Metadata;
        Assert.Equal("omniglot", m["lshk.data"]);
        Assert.Equal("matching", m["lshk.train.loss"]);
        Assert.Equal("5", m["lshk.train.ways"]);
        Assert.Equal("2", m["lshk.train.shots"]);
        Assert.Equal("3", m["lshk.train.queries"]);
        Assert.Equal("1", m["lshk.train.seed"]);
        Assert.Contains(m["lshk.train.episodes"], new[] { "20", "40" }); // the better of the two validated models
        var pre = ImagePreprocessing.FromMetadata(m, embedder.Config.InputSize, embedder.Config.InputChannels, model);
        Assert.Equal(new ImagePreprocessing(28, 1, Invert: true), pre with { Mean = null, Std = null });
        Assert.Equal(2, embedder.Config.Blocks);
        Assert.Equal(8, embedder.Config.Filters);

        // The validation accuracy stored with the model is the mean of 5-way and 20-way 1-shot cosine accuracy;
        // chance is (20% + 5%) / 2, but even the untrained network scores 52.3% here (random conv features are far
        // from useless). The matching loss learns fast: 60.8% after 40 episodes (measured), so ask for 4 points more.
        double validation = double.Parse(m["lshk.train.validation_accuracy"], System.Globalization.CultureInfo.InvariantCulture);
        double untrained = UntrainedValidation.Score(TinyRequest(), Cache);
        testLog.WriteLine($"validation: untrained {untrained:P2}, after 40 episodes {validation:P2}");
        Assert.True(validation >= untrained + TrainedMargin, $"validation {validation:P2} is not clearly above the untrained network's {untrained:P2}");

        string[] rows = File.ReadAllLines(log);
        Assert.Equal("episode,seconds,lr,loss,train_accuracy,images_per_second,val_5way_1shot,val_20way_1shot", rows[0]);
        Assert.Equal(["10", "20", "30", "40"], rows.Skip(1).Select(r => r.Split(',')[0]));
        Assert.NotEqual("", rows[2].Split(',')[7]); // validated at episode 20
        Assert.Equal("", rows[1].Split(',')[7]);

        Assert.Contains("128 planes", output); // the summary table
        Assert.Contains("20-way 1-shot", output);
        Assert.Contains("hamming", output);
        Assert.Contains("episode 40/40", output); // plain progress lines: the output is not a terminal
    }

    [Fact]
    public void KilledRunsResumeIntoTheSameModelByteForByte()
    {
        using var dir = new TempFolder();
        string[] Args(string output, params string[] more) =>
            TinyRun(output, 24, ["--dropout", "0.1", "--validate-every", "6", "--checkpoint-every", "4", "--summary-episodes", "0",
                "--log", output + ".csv", "--log-every", "4", .. more]);

        // The uninterrupted run.
        string reference = dir.File("reference.safetensors");
        var (code, _, error) = CliRunner.Run(Args(reference));
        Assert.True(code == 0, error);

        string model = dir.File("model.safetensors"), checkpoint = model + ".ckpt";
        // 1: killed half-way through writing the checkpoint of episode 8 (the hook pauses there): the temporary file
        // is left behind, the checkpoint of episode 4 stays whole.
        using (var child = Child(Args(model, "--debug-checkpoint-pause-ms", "2000")))
            KillAfter(child, "checkpoint: writing episode 8");
        Assert.Equal(4, CheckpointEpisode(checkpoint));
        Assert.Contains(Directory.GetFiles(dir.Path), f => Path.GetFileName(f).StartsWith(".model.safetensors.ckpt.", StringComparison.Ordinal));

        // 2: resumed, then killed between checkpoints, right after the one of episode 12 (the hook holds the run there
        // until the kill comes: a pause after each episode was outrun on a loaded 2-core CI machine, the kill landing
        // after the checkpoint of episode 16 or 20).
        using (var child = Child(Args(model, "--resume", "--debug-hold-after-checkpoint", "12")))
            KillAfter(child, "checkpoint: saved episode 12");
        Assert.Equal(12, CheckpointEpisode(checkpoint));

        // 3: resumed to the end.
        using (var child = Child(Args(model, "--resume")))
        {
            string all = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            Assert.True(child.ExitCode == 0, all + child.StandardError.ReadToEnd());
            Assert.Contains("resumed from", all);
        }
        // The unfinished temporary file of the first kill was cleaned up on resuming.
        Assert.DoesNotContain(Directory.GetFiles(dir.Path), f => f.EndsWith(".tmp", StringComparison.Ordinal));
        Assert.Equal(File.ReadAllBytes(reference), File.ReadAllBytes(model));
        // The CSV log reads as one run: the rows written after a checkpoint by a killed run were replaced.
        string[] Column(string csv, int column) => File.ReadAllLines(csv).Skip(1).Select(r => r.Split(',')[column]).ToArray();
        Assert.Equal(["4", "8", "12", "16", "20", "24"], Column(model + ".csv", 0));
        Assert.Equal(Column(reference + ".csv", 3), Column(model + ".csv", 3)); // the same mean losses
    }

    [Fact]
    public void AFinishedRunExtendsIntoTheLongerRunByteForByte()
    {
        using var dir = new TempFolder();
        // A schedule that does not depend on the budget (a cosine over the budget is another curve for another length).
        string[] Args(string output, int episodes, params string[] more) =>
            TinyRun(output, episodes, ["--validate-every", "3", "--checkpoint-every", "4", "--summary-episodes", "0", "--lr-schedule", "step:2000:0.5", .. more]);
        string reference = dir.File("reference.safetensors"), model = dir.File("model.safetensors");
        var (code, _, error) = CliRunner.Run(Args(reference, 12));
        Assert.True(code == 0, error);

        // A 6-episode screen: its last episode is checkpointed although 6 is not a multiple of --checkpoint-every.
        (code, _, error) = CliRunner.Run(Args(model, 6));
        Assert.True(code == 0, error);
        Assert.Equal(6, CheckpointEpisode(model + ".ckpt"));

        // Extended to 12 episodes: the same model as the run that went to 12 at once.
        (code, var output, error) = CliRunner.Run(Args(model, 12, "--resume"));
        Assert.True(code == 0, error);
        Assert.Contains("resumed from", output);
        Assert.Equal(12, CheckpointEpisode(model + ".ckpt"));
        Assert.Equal(File.ReadAllBytes(reference), File.ReadAllBytes(model));
    }

    [Fact]
    public void ResumingWithOtherSettingsIsAClearError()
    {
        using var dir = new TempFolder();
        string model = dir.File("m.safetensors");
        Assert.Equal(0, CliRunner.Run(TinyRun(model, 6, "--checkpoint-every", "3", "--validate-every", "0", "--summary-episodes", "0")).Code);
        var (code, _, error) = CliRunner.Run(TinyRun(model, 6, "--checkpoint-every", "3", "--validate-every", "0", "--summary-episodes", "0",
            "--resume", "--lr", "0.01"));
        Assert.Equal(1, code);
        Assert.StartsWith("lshk: error: ", error);
        Assert.Contains("m.safetensors.ckpt: the checkpoint was made with other settings", error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Theory]
    [InlineData("--data", "omniglot:/no/such/folder", "/no/such/folder: not found", 1)]     // bad input
    [InlineData("--loss", "hinge", "--loss 'hinge' is not a loss", 2)]                        // bad usage: an option value
    [InlineData("--lr-schedule", "wavy", "--lr-schedule 'wavy' is not a schedule", 2)]
    [InlineData("--ways", "1", "--ways must be at least 2", 2)]
    [InlineData("--episodes", "0", "--episodes must be positive", 2)]
    [InlineData("--dropout", "1.5", "dropout must be in [0, 1)", 1)]                          // the network's own check
    public void BadInputIsAOneLineError(string option, string value, string expected, int exitCode)
    {
        using var dir = new TempFolder();
        var (code, _, error) = CliRunner.Run(["train", "--cache-dir", Cache, "--out", dir.File("m.safetensors"), option, value]);
        Assert.Equal(exitCode, code);
        Assert.StartsWith("lshk: error: ", error);
        Assert.Contains(expected, error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    // ------------------------------------------------------------------ child processes

    /// <summary>lshk as its own process (dotnet lshk.dll, which the test project's reference puts beside the tests).</summary>
    private static Process Child(string[] args)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "lshk.dll"));
        foreach (string a in args) info.ArgumentList.Add(a);
        return Process.Start(info) ?? throw new InvalidOperationException("could not start lshk");
    }

    /// <summary>Reads the child's output until a line starts with <paramref name="marker"/>, then kills it (SIGKILL).</summary>
    private static void KillAfter(Process child, string marker)
    {
        var seen = new List<string>();
        while (child.StandardOutput.ReadLine() is { } line)
        {
            seen.Add(line);
            if (line.StartsWith(marker, StringComparison.Ordinal))
            {
                child.Kill(entireProcessTree: true);
                child.WaitForExit();
                return;
            }
        }
        child.WaitForExit();
        Assert.Fail($"lshk ended (exit {child.ExitCode}) before printing '{marker}':\n{string.Join("\n", seen)}\n{child.StandardError.ReadToEnd()}");
    }

    private static long CheckpointEpisode(string path)
    {
        var (_, metadata) = SafeTensors.Read(File.ReadAllBytes(path), path);
        return long.Parse(metadata["lshk.checkpoint.episode"], System.Globalization.CultureInfo.InvariantCulture);
    }
}
