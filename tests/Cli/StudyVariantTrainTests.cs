using Lshk.App.Modeling;
using Lshk.Kernels.Cpu;
using Lshk.Tests.Data;

namespace Lshk.Tests.Cli;

/// <summary>
/// The 2018 study's switches through <c>lshk train</c> on the real MNIST test half: no batch norm, one dropout on the
/// embedding (0.2 by default there), the unscaled mean-cosine loss. The model records them, reloads, and evaluates;
/// contradictory or unknown values are one-line usage errors.
/// </summary>
public sealed class StudyVariantTrainTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string[] Train(string model, params string[] more) =>
    [
        "train", "--data", "mnist:" + DataFiles.MnistFolder, "--cache-dir", _tmp.File("cache"), "--layers", "2", "--filters", "8",
        "--episodes", "3", "--shots", "1", "--queries", "3", "--checkpoint-every", "0", "--summary-episodes", "0", "--out", model, .. more,
    ];

    [Fact]
    public void StudyNetworkTrainsReloadsAndEvaluates()
    {
        string model = _tmp.File("study.safetensors");
        var (code, output, error) = CliRunner.Run(Train(model, "--batch-norm", "off", "--dropout-at", "embedding", "--loss", "cosine-mean", "--scale", "1"));
        Assert.True(code == 0, error);
        Assert.Contains("conv2: 2×[conv3x3(8)+relu+maxpool2]+dropout(0.2)", output);

        using var backend = new CpuBackend();
        using (var embedder = Embedder.Load(model, backend))
        {
            var m = embedder.Metadata;
            Assert.Equal(("false", "embedding", "0.2"), (m["lshk.batch_norm"], m["lshk.dropout_at"], m["lshk.dropout"]));
            Assert.Equal(("cosine-mean", "1"), (m["lshk.train.loss"], m["lshk.train.scale"]));
            Assert.False(embedder.Config.BatchNorm);
        }
        (code, output, error) = CliRunner.Run("eval", "--model", model, "--data", "mnist:" + DataFiles.MnistFolder, "--cache-dir", _tmp.File("cache"),
            "--ways", "5", "--shots", "1", "--planes", "16", "--hash", "gaussian", "--episodes", "5");
        Assert.True(code == 0, error);
        Assert.Contains("5-way 1-shot", output);
    }

    [Fact]
    public void AnAugmentedRunSaysSoAndRecordsItsLimits()
    {
        string model = _tmp.File("augmented.safetensors");
        var (code, output, error) = CliRunner.Run(Train(model, "--augment", "rotate:10,shift:1"));
        Assert.True(code == 0, error);
        Assert.Contains("augmentation: every training image distorted at random within shift:1,rotate:10", output);
        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(model, backend);
        Assert.Equal("shift:1,rotate:10", embedder.Metadata["lshk.train.augment"]);
    }

    [Fact]
    public void AnAveragedLastMapTrainsReloadsAndEvaluates()
    {
        string model = _tmp.File("averaged.safetensors");
        var (code, output, error) = CliRunner.Run(Train(model, "--final-pool", "average"));
        Assert.True(code == 0, error);
        Assert.Contains("conv2: 2×[conv3x3(8)+bn+relu+maxpool2] (no pool after the last), averaged over its positions, input 1×28×28, embedding 8", output);
        using (var backend = new CpuBackend())
        using (var embedder = Embedder.Load(model, backend))
        {
            Assert.Equal(("false", "true", "8"), (embedder.Metadata["lshk.final_pool"], embedder.Metadata["lshk.global_average"], embedder.Metadata["lshk.embedding_dim"]));
            Assert.True(embedder.Config.GlobalAverage);
        }
        (code, output, error) = CliRunner.Run("eval", "--model", model, "--data", "mnist:" + DataFiles.MnistFolder, "--cache-dir", _tmp.File("cache"),
            "--ways", "5", "--shots", "1", "--planes", "16", "--hash", "gaussian", "--episodes", "5");
        Assert.True(code == 0, error);
        Assert.Contains("5-way 1-shot", output);
    }

    [Fact]
    public void DefaultRunsWriteNoVariantKeys()
    {
        string model = _tmp.File("plain.safetensors");
        var (code, _, error) = CliRunner.Run(Train(model));
        Assert.True(code == 0, error);
        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(model, backend);
        Assert.DoesNotContain(embedder.Metadata.Keys, k => k is "lshk.batch_norm" or "lshk.dropout_at" or "lshk.train.scale" or "lshk.train.augment"
            or "lshk.final_pool" or "lshk.global_average");
        Assert.Equal("0", embedder.Metadata["lshk.dropout"]);
    }

    [Theory]
    [InlineData("--dropout-at,middle", "--dropout-at must be blocks or embedding (got 'middle')")]
    [InlineData("--batch-norm,sometimes", "--batch-norm must be on or off (got 'sometimes')")]
    [InlineData("--final-pool,sometimes", "--final-pool must be on, off or average (got 'sometimes')")]
    [InlineData("--scale,2", "--scale applies to the cosine losses (matching, cosine-mean), not proto")]
    [InlineData("--loss,matching,--scale,0", "--scale must be a positive number (got 0)")]
    [InlineData("--hash-straight-through,sideways", "--hash-straight-through values are off, queries and all (got 'sideways')")]
    [InlineData("--augment,rotate:500", "--augment 'rotate:500': the rotate limit is at most 180 degrees (got 500)")]
    [InlineData("--augment,zoom:2", "--augment 'zoom:2': 'zoom:2' is not one of shift:LIMIT, rotate:LIMIT, scale:LIMIT, shear:LIMIT")]
    public void BadSwitchesAreOneLineUsageErrors(string args, string message)
    {
        var (code, _, error) = CliRunner.Run(Train(_tmp.File("never.safetensors"), args.Split(',')));
        Assert.Equal(2, code);
        Assert.Equal("lshk: error: " + message, error.Trim());
        Assert.False(File.Exists(_tmp.File("never.safetensors")));
    }
}
