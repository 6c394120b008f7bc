using Lshk.App.Training;
using Lshk.Data.Imaging;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Nn;
using Lshk.Nn;
using Lshk.Tests.Data;

namespace Lshk.Tests.Cli;

/// <summary>
/// The CPU training step gives the same bits on every run for a given thread count (what exact resumption needs),
/// even with more worker threads than cores, where thread timing varies most; and a run restored from a checkpoint
/// continues exactly as the uninterrupted one.
/// </summary>
public class TrainDeterminismTests
{
    private static TrainSettings Settings(float dropout) =>
        new("omniglot", new ConvNetConfig(Blocks: 3, Filters: 16, Dropout: dropout), Ways: 8, Shots: 2, Queries: 3, Loss: "proto",
            LearningRate: 1e-3f, Schedule: "constant", Seed: 7, ValidationClasses: 0, ValidateEvery: 0, ValidationEpisodes: 1);

    private static float[][] Parameters(EpisodeTraining run) => run.Network.Parameters.Select(p => p.Value.ToArray()).ToArray();

    [Fact]
    public void RepeatedRunsOnManyThreadsGiveIdenticalParameters()
    {
        var data = DataFiles.OmniglotBackgroundSet;
        using var backend = new CpuBackend();
        float[][]? first = null;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            using var ops = NnOps.For(backend, cpuThreads: 5);
            using var run = new EpisodeTraining(ops, Settings(0.2f), data);
            for (int i = 0; i < 4; i++) run.Step();
            var parameters = Parameters(run);
            if (first is null) first = parameters;
            else
                for (int p = 0; p < first.Length; p++) Assert.Equal(first[p], parameters[p]); // exact, bit for bit
        }
    }

    /// <summary>Limits for the augmented runs: every part of the distortion drawn.</summary>
    private static readonly RandomAffine Distortions = new(ShiftPixels: 1, RotationDegrees: 10, ScaleFraction: 0.1f, Shear: 0.1f);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ACheckpointContinuesExactly(bool augment)
    {
        var data = DataFiles.OmniglotBackgroundSet;
        using var backend = new CpuBackend();
        using var ops = NnOps.For(backend, cpuThreads: 3);
        var settings = Settings(0.3f) with { Augment = augment ? Distortions : null };
        using var straight = new EpisodeTraining(ops, settings, data);
        byte[]? saved = null;
        for (int i = 0; i < 6; i++)
        {
            straight.Step();
            if (i == 2) saved = Checkpoint.Serialize(straight, new RunProgress(straight.Episode, 0.5, 3, 1.0));
        }

        using var resumed = new EpisodeTraining(ops, settings, data);
        using var dir = new TempFolder();
        string path = dir.File("run.ckpt");
        Checkpoint.Write(path, saved!);
        var progress = Checkpoint.Restore(path, resumed);
        Assert.Equal(new RunProgress(3, 0.5, 3, 1.0), progress);
        Assert.Equal(3, resumed.Episode);
        Assert.Equal(3, resumed.Optimiser.StepCount);
        for (int i = 3; i < 6; i++) resumed.Step();
        var a = Parameters(straight);
        var b = Parameters(resumed);
        for (int p = 0; p < a.Length; p++) Assert.Equal(a[p], b[p]);
        // Running statistics and dropout counters came back too: the evaluation-mode outputs agree.
        var x = data.Images.AsSpan(0, 10 * data.ImageLength).ToArray();
        using var input = ops.Allocate(x.Length);
        input.CopyFrom(x);
        var shape = ConvNet.InputShape(straight.Settings.Network, 10);
        float[] ya = straight.Network.Forward(input, shape, training: false).ToArray();
        float[] yb = resumed.Network.Forward(input, shape, training: false).ToArray();
        Assert.Equal(ya, yb);
    }

    [Fact]
    public void AugmentationChangesWhatTheRunLearnsAndRepeatsExactly()
    {
        var data = DataFiles.OmniglotBackgroundSet;
        using var backend = new CpuBackend();
        using var ops = NnOps.For(backend, cpuThreads: 2);
        float[][] Train(RandomAffine? augment)
        {
            using var run = new EpisodeTraining(ops, Settings(0f) with { Augment = augment }, data);
            for (int i = 0; i < 2; i++) run.Step();
            return Parameters(run);
        }
        var plain = Train(null);
        var first = Train(Distortions);
        var second = Train(Distortions);
        for (int p = 0; p < first.Length; p++) Assert.Equal(first[p], second[p]);
        Assert.Contains(Enumerable.Range(0, first.Length), p => !first[p].SequenceEqual(plain[p]));
    }
}
