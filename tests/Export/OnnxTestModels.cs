using Lshk.Data;
using Lshk.Data.Imaging;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Nn;
using Lshk.Nn;
using Lshk.Nn.Layers;
using Lshk.Nn.ModelFiles;
using Lshk.Tests.Cli;

namespace Lshk.Tests.Export;

/// <summary>Model files of every network variant lshk trains, for the export tests.</summary>
internal static class OnnxTestModels
{
    /// <summary>
    /// Saves a freshly initialised network whose batch norms have non-trivial statistics and affine parameters (a new
    /// network has mean 0, variance 1, γ 1, β 0, which would hide a mistake in the exported batch norm), with the
    /// given preparation in its metadata.
    /// </summary>
    public static string Save(string path, ConvNetConfig config, ImagePreprocessing preprocessing, ulong seed = 5)
    {
        using var backend = new CpuBackend();
        var ops = NnOps.For(backend);
        using var network = ConvNet.Create(ops, config, seed);
        var random = new Random((int)seed);
        float[] Uniform(int n, double low, double high) => Enumerable.Range(0, n).Select(_ => (float)(low + (high - low) * random.NextDouble())).ToArray();
        foreach (var bn in network.Layers.OfType<BatchNorm2d>())
        {
            bn.Weight.Value.CopyFrom(Uniform(bn.Channels, 0.5, 1.5));
            bn.Bias.Value.CopyFrom(Uniform(bn.Channels, -0.3, 0.3));
            bn.RunningMean.Buffer.CopyFrom(Uniform(bn.Channels, -0.2, 0.2));
            bn.RunningVar.Buffer.CopyFrom(Uniform(bn.Channels, 0.5, 2.0));
        }
        AtomicFile.Write(path, s => ModelFile.Save(s, network, config, preprocessing.ToMetadata()));
        return path;
    }

    /// <summary>count images of C×S×S values uniform in [0, 1]: what the exported graph takes.</summary>
    public static float[] Images(int count, ConvNetConfig config, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count * config.InputChannels * config.InputSize * config.InputSize).Select(_ => random.NextSingle()).ToArray();
    }

    /// <summary>Exports with the lshk command and fails the test with its error when it does not succeed.</summary>
    public static string Export(string model, string onnx, params string[] more)
    {
        var run = CliRunner.Run(["export", "--model", model, "--format", "onnx", "--out", onnx, .. more]);
        Assert.True(run.Code == 0, run.Err);
        return onnx;
    }
}
