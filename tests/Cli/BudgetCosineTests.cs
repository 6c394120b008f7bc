using Lshk.App.Training;
using Lshk.Data.Imaging;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Nn;
using Lshk.Nn;
using Lshk.Nn.ModelFiles;
using Lshk.Nn.Optimisers;
using Lshk.Tests.Data;

namespace Lshk.Tests.Cli;

/// <summary>
/// A cosine learning-rate schedule over a budget in minutes: the run takes its first episodes at the full rate, times
/// them, and from then on follows a cosine over the episodes the budget holds at that pace; the length it settles on is
/// stored, so <c>--episodes N --lr-schedule cosine:N:K</c> repeats the run exactly and a checkpoint resumes it.
/// </summary>
public class BudgetCosineTests
{
    private static TrainSettings Settings(string schedule) =>
        new("omniglot", new ConvNetConfig(Blocks: 2, Filters: 8), Ways: 5, Shots: 1, Queries: 2, Loss: "proto",
            LearningRate: 1e-2f, Schedule: schedule, Seed: 11, ValidationClasses: 0, ValidateEvery: 0, ValidationEpisodes: 1);

    private static float[][] Parameters(EpisodeTraining run) => run.Network.Parameters.Select(p => p.Value.ToArray()).ToArray();

    private sealed class Messages : ITrainReporter
    {
        public List<string> Lines { get; } = [];
        public void Episode(long episode, double fraction, float loss, float accuracy, double imagesPerSecond) { }
        public void Interval(IntervalStats stats, long? totalEpisodes, double etaSeconds) { }
        public void Message(string text) => Lines.Add(text);
    }

    [Fact]
    public void TheFullRateStepsComeBeforeTheCurve()
    {
        var cosine = new CosineDecay(1f, TotalSteps: 100) { FullRateSteps = 10 };
        Assert.Equal(1f, cosine.Rate(0));
        Assert.Equal(1f, cosine.Rate(9));
        Assert.Equal((1 + Math.Cos(Math.PI * 0.1)) / 2, cosine.Rate(10), 6); // the curve as if it had run from step 0
        Assert.Equal(0.5f, cosine.Rate(50), 6);
        Assert.Equal(0f, cosine.Rate(100), 6);
    }

    [Fact]
    public void ARetimingCarriesTheCurveOnFromWhereItStood()
    {
        // Progress 50/100 = 0.5 at step 50; from there the other half of the curve spreads over steps 50…200, and a
        // second re-timing at step 125 (progress 0.75) puts the last quarter over 125…150.
        var cosine = new CosineDecay(1f, TotalSteps: 100) { FullRateSteps = 10, Retimings = [(50, 200), (125, 150)] };
        static double Rate(double progress) => (1 + Math.Cos(Math.PI * progress)) / 2;
        Assert.Equal(1f, cosine.Rate(9));
        Assert.Equal(Rate(0.49), cosine.Rate(49), 6);
        Assert.Equal(0.5f, cosine.Rate(50), 6);
        Assert.Equal(Rate(0.5 + 0.5 * 25 / 150), cosine.Rate(75), 6);
        Assert.Equal(Rate(0.75), cosine.Rate(125), 6);
        Assert.Equal(Rate(0.75 + 0.25 * 13 / 25), cosine.Rate(138), 6);
        Assert.Equal(0f, cosine.Rate(150), 6);
        Assert.Equal(0f, cosine.Rate(400), 6);
        Assert.Equal(150, cosine.EndStep);
        // Neighbouring steps never differ by more than the steepest slope of the curve allows: no jump at a re-timing.
        for (int t = 10; t < 160; t++) Assert.True(Math.Abs(cosine.Rate(t + 1) - cosine.Rate(t)) < Math.PI / 2 / 25 + 1e-6, $"step {t}");
    }

    [Theory]
    [InlineData("cosine:100:7@50:200@120:150", 150)]
    [InlineData("cosine:100:7@8:90", 90)]
    [InlineData("cosine:100:7", 100)]
    public void RetimedCosinesParseToTheirLastEnd(string text, long end)
    {
        Assert.Equal(end, Settings(text).CosineEnd);
        Assert.Equal(text, TrainSettings.MeasuredCosineIn($"loss=proto;schedule={text};seed=1"));
    }

    [Theory]
    [InlineData("cosine", typeof(ConstantRate))]
    [InlineData("cosine:100", typeof(CosineDecay))]
    [InlineData("cosine:100:7", typeof(CosineDecay))]
    public void ScheduleNamesParse(string text, Type expected)
    {
        var schedule = Settings(text).CreateSchedule();
        Assert.IsType(expected, schedule);
        Assert.Equal(text == "cosine:100:7" ? 7 : 0, (schedule as CosineDecay)?.FullRateSteps ?? 0);
        Assert.Equal(text == "cosine", Settings(text).AwaitsPace);
    }

    [Theory]
    [InlineData("cosine:100:100")]
    [InlineData("cosine:100:200")]
    [InlineData("cosine:0:0")]
    [InlineData("cosine:100:x")]
    [InlineData("cosine:100:5:1")]
    [InlineData("cosine:100@50:200")]
    [InlineData("cosine:100:7@7:200")]
    [InlineData("cosine:100:7@50:50")]
    [InlineData("cosine:100:7@50")]
    [InlineData("cosine:100:7@60:200@50:300")]
    [InlineData("cosine:100:7@")]
    public void BadCosinesAreRejectedNamingTheOption(string text)
    {
        var e = Assert.Throws<Lshk.App.SettingException>(() => Settings(text).Validate());
        Assert.StartsWith("lr-schedule ", e.Message);
        Assert.Contains(text, e.Message);
    }

    [Fact]
    public void AMinutesBudgetSetsItsLengthFromItsPaceAndRepeatsExactly()
    {
        var data = DataFiles.OmniglotBackgroundSet;
        using var backend = new CpuBackend();
        using var ops = NnOps.For(backend, cpuThreads: 2);
        using var dir = new TempFolder();
        const int pace = 3;

        using var timed = new EpisodeTraining(ops, Settings("cosine"), data);
        var messages = new Messages();
        var plan = new RunPlan(dir.File("timed.safetensors"), Episodes: null, Minutes: 0.05, CheckpointPath: null, CheckpointEvery: 0,
            Resume: false, LogEvery: 1000, "omniglot", new ImagePreprocessing(28, 1, false), PaceEpisodes: pace);
        new TrainRunner(timed, plan, null, backend, messages, null).Run();

        // The schedule became a cosine with the paced episodes at the full rate, and the run stopped at its end or
        // when the time was up; the model file names the measured schedule.
        string measured = timed.Settings.Schedule;
        var parts = measured.Split(TrainSettings.RetimingMark)[0].Split(':');
        Assert.Equal(["cosine", pace.ToString()], [parts[0], parts[2]]);
        long total = timed.Settings.CosineEnd!.Value;
        Assert.InRange(timed.Episode, pace + 1, total);
        Assert.Contains($"a budget of {total} episodes with the schedule {measured} repeats it exactly", messages.Lines.Last(l => l.StartsWith("lr schedule:")));
        Assert.Equal(measured, SafeTensors.Read(File.ReadAllBytes(plan.Output), plan.Output).Metadata[Lshk.Data.MetadataKeys.Train.Schedule]);
        Assert.Equal(total, timed.Settings.CosineEnd);

        // The same episodes with the measured schedule named: bit-identical parameters.
        using var repeat = new EpisodeTraining(ops, Settings(measured), data);
        for (long i = 0; i < timed.Episode; i++) repeat.Step();
        var a = Parameters(timed);
        var b = Parameters(repeat);
        for (int p = 0; p < a.Length; p++) Assert.Equal(a[p], b[p]);
    }

    [Fact]
    public void AMinutesBudgetWhosePaceQuickensRetimesItselfAndRunsOnPastItsFirstLength()
    {
        var data = DataFiles.OmniglotBackgroundSet;
        using var backend = new CpuBackend();
        using var ops = NnOps.For(backend, cpuThreads: 2);
        using var dir = new TempFolder();
        const int pace = 3;

        // The timed episodes take 300 ms each, the rest a few ms: the first length is about 3 + 5.1 s / 0.3 s = 20
        // episodes, and the re-timing at a quarter of the 6-second budget finds the budget holds far more.
        using var run = new EpisodeTraining(ops, Settings("cosine"), data);
        var messages = new Messages();
        var plan = new RunPlan(dir.File("timed.safetensors"), Episodes: null, Minutes: 0.1, CheckpointPath: null, CheckpointEvery: 0,
            Resume: false, LogEvery: 100000, "omniglot", new ImagePreprocessing(28, 1, false), EpisodePauseMs: 300, PaceEpisodes: pace,
            PausedEpisodes: pace);
        new TrainRunner(run, plan, null, backend, messages, null).Run();

        string schedule = run.Settings.Schedule;
        var segments = schedule.Split(TrainSettings.RetimingMark);
        Assert.True(segments.Length >= 2, schedule);
        long first = long.Parse(segments[0].Split(':')[1]);
        Assert.InRange(first, pace + 1, 60);
        Assert.True(run.Episode > first, $"{run.Episode} episodes, first length {first}: {schedule}");
        Assert.Contains(messages.Lines, l => l.StartsWith("lr schedule: re-timed at episode "));

        // The schedule's text repeats the run exactly.
        using var repeat = new EpisodeTraining(ops, Settings(schedule), data);
        for (long i = 0; i < run.Episode; i++) repeat.Step();
        var a = Parameters(run);
        var b = Parameters(repeat);
        for (int p = 0; p < a.Length; p++) Assert.Equal(a[p], b[p]);
    }

    [Fact]
    public void ACheckpointAfterTheTimingKeepsTheMeasuredLength()
    {
        var data = DataFiles.OmniglotBackgroundSet;
        using var backend = new CpuBackend();
        using var ops = NnOps.For(backend, cpuThreads: 2);
        using var straight = new EpisodeTraining(ops, Settings("cosine"), data);
        for (int i = 0; i < 2; i++) straight.Step();
        Assert.Equal(1e-2f, straight.Optimiser.LearningRate); // the full rate while the run times itself
        straight.UseSchedule(TrainSettings.MeasuredCosine(total: 6, fullRate: 2));
        straight.Step();
        Assert.Equal(1e-2f * (float)(1 + Math.Cos(Math.PI * 3 / 6)) / 2, straight.Optimiser.LearningRate, 7);
        straight.UseSchedule(TrainSettings.RetimedCosine(straight.Settings.Schedule, from: 3, total: 8));
        byte[] saved = Checkpoint.Serialize(straight, new RunProgress(straight.Episode, null, 0, 1.0));
        for (int i = 0; i < 2; i++) straight.Step();

        using var dir = new TempFolder();
        string path = dir.File("run.ckpt");
        Checkpoint.Write(path, saved);
        using var resumed = new EpisodeTraining(ops, Settings("cosine"), data); // as `lshk train --resume` asks again
        Checkpoint.Restore(path, resumed);
        Assert.Equal("cosine:6:2@3:8", resumed.Settings.Schedule);
        for (int i = 0; i < 2; i++) resumed.Step();
        var a = Parameters(straight);
        var b = Parameters(resumed);
        for (int p = 0; p < a.Length; p++) Assert.Equal(a[p], b[p]);

        // A run that asks for another schedule still refuses the checkpoint.
        using var other = new EpisodeTraining(ops, Settings("cosine:9"), data);
        Assert.Throws<InvalidDataException>(() => Checkpoint.Restore(path, other));
    }

    [Fact]
    public void TheCommandTakesACosineOverMinutes()
    {
        using var dir = new TempFolder();
        string model = dir.File("model.safetensors");
        var (code, output, error) = CliRunner.Run("train", "--data", "omniglot:" + DataFiles.OmniglotFolder, "--cache-dir", dir.File("cache"),
            "--ways", "5", "--shots", "1", "--queries", "2", "--layers", "2", "--filters", "8", "--minutes", "0.02", "--lr-schedule", "cosine",
            "--validate-every", "0", "--checkpoint-every", "0", "--summary-episodes", "0", "--out", model);
        Assert.True(code == 0, error);
        Assert.Contains($"cosine over the time budget, its length set at the pace of the first {RunPlan.DefaultPaceEpisodes} episodes", output);
        Assert.True(File.Exists(model));
    }

    [Fact]
    public void ExtendingACosineRunIsRefusedWithTheReason()
    {
        using var dir = new TempFolder();
        string model = dir.File("model.safetensors");
        string[] Run(int episodes, params string[] more) =>
        [
            "train", "--data", "omniglot:" + DataFiles.OmniglotFolder, "--cache-dir", dir.File("cache"), "--ways", "5", "--shots", "1",
            "--queries", "2", "--layers", "2", "--filters", "8", "--episodes", $"{episodes}", "--lr-schedule", "cosine", "--validate-every", "0",
            "--checkpoint-every", "2", "--summary-episodes", "0", "--out", model, .. more,
        ];
        Assert.Equal(0, CliRunner.Run(Run(4)).Code);
        var (code, _, error) = CliRunner.Run(Run(6, "--resume"));
        Assert.Equal(1, code);
        Assert.Contains("a cosine schedule is one curve over its budget (cosine:4 here, cosine:6 asked)", error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }
}
