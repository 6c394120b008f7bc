using Lshk.App.Modeling;
using Lshk.Data.Imaging;
using Lshk.Data;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Nn;
using Lshk.Kernels.Random;
using Lshk.Nn;
using Lshk.Nn.ModelFiles;

namespace Lshk.Tests.Cli;

public class EmbedderTests
{
    /// <summary>Writes a freshly initialised (untrained) Conv-4 to a model file.</summary>
    internal static string SaveRandomModel(TempFolder dir, ConvNetConfig config, ulong seed = 3)
    {
        using var backend = new CpuBackend();
        var ops = NnOps.For(backend);
        using var network = ConvNet.Create(ops, config, seed);
        string path = dir.File("model.safetensors");
        AtomicFile.Write(path, s => ModelFile.Save(s, network, config));
        return path;
    }

    [Fact]
    public void BatchingDoesNotChangeEmbeddings()
    {
        using var dir = new TempFolder();
        var config = new ConvNetConfig(Blocks: 3, Filters: 8);
        string path = SaveRandomModel(dir, config);
        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(path, backend);
        int n = 7;
        float[] images = RandomArrays.Gaussian(n * 28 * 28, 5);
        float[] whole = embedder.Embed(images, n, batch: 7);
        float[] split = embedder.Embed(images, n, batch: 3);
        Assert.Equal(n * config.EmbeddingDim, whole.Length);
        for (int i = 0; i < whole.Length; i++) Assert.Equal(whole[i], split[i], 1e-5f);
        // Each image's embedding depends on that image only (evaluation mode): embedding it alone agrees.
        float[] single = embedder.Embed(images.AsSpan(4 * 784, 784), 1);
        for (int j = 0; j < config.EmbeddingDim; j++) Assert.Equal(whole[4 * config.EmbeddingDim + j], single[j], 1e-5f);
        Assert.Equal(64, embedder.Checksum.Length);
    }

    [Fact]
    public void WrongImageSizeIsAClearError()
    {
        using var dir = new TempFolder();
        string path = SaveRandomModel(dir, new ConvNetConfig(Blocks: 2, Filters: 4));
        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(path, backend);
        var e = Assert.Throws<ArgumentException>(() => embedder.Embed(new float[2 * 100], 2));
        Assert.Contains("1×28×28", e.Message);
        Assert.Throws<FileNotFoundException>(() => Embedder.Load(dir.File("missing.safetensors"), backend));
    }
}
