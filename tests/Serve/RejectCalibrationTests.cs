using Lshk.App.Modeling;
using Lshk.Kernels.Cpu;
using Lshk.Tests.Cli;
using Lshk.Tests.Data;

namespace Lshk.Tests.Serve;

/// <summary>The default open-set threshold, calibrated on the model's training classes (Omniglot background alphabets).</summary>
public sealed class RejectCalibrationTests
{
    private const int Bits = 256;
    private const int Classes = 60;

    [Fact]
    public void TheThresholdAcceptsAtLeast95PercentOfKnownQueriesAndIsReproducible()
    {
        using var dir = new Lshk.Tests.Cli.TempFolder();
        string model = ClassifyTestModels.SaveRandom(dir.File("m.safetensors"), ClassifyTestModels.Omniglot);
        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(model, backend);
        var first = RejectCalibration.Calibrate(backend, embedder, DataFiles.OmniglotBackgroundSet, Classes, seed: 4);
        var again = RejectCalibration.Calibrate(backend, embedder, DataFiles.OmniglotBackgroundSet, Classes, seed: 4);
        Assert.Equal(first, again);
        Assert.Equal(Classes, first.Classes);
        // A whole number of agreeing bits; by the nearest-rank 5th percentile at most 3 of 60 known queries fall below it.
        Assert.Equal(Math.Round(first.Threshold), first.Threshold);
        Assert.InRange(first.Threshold, 0, Bits);
        Assert.InRange(first.KnownAccepted, 1 - 3.0 / Classes, 1);
        Assert.InRange(first.UnknownRejected, 0, 1);
    }

    [Fact]
    public async Task AServerWithoutAGivenThresholdCalibratesOneAndSaysHow()
    {
        await using var serve = await ServeFixture.StartAsync(s => s with { CalibrationData = _ => DataFiles.OmniglotBackgroundSet });
        Assert.NotNull(serve.Server.Reject);
        Assert.StartsWith($"calibrated on {RejectCalibration.DefaultClasses} training classes: accepts ", serve.Server.RejectSource);
    }
}
