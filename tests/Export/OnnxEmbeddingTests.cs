using Lshk.App.Modeling;
using Lshk.Export;
using Lshk.Data.Imaging;
using Lshk.Kernels.Cpu;
using Lshk.Nn;
using Lshk.Tests.Cli;

namespace Lshk.Tests.Export;

/// <summary>
/// <c>lshk export --format onnx</c>, run in ONNX Runtime: for every network variant lshk trains, the graph's
/// embedding of the [0, 1] images equals the Embedder's embedding of the same images prepared as lshk prepares them
/// (inverted and normalised when the model says so), within <see cref="OnnxAssert.Tolerance"/>.
/// </summary>
[Collection(OnnxRuntimeCollection.Name)]
public class OnnxEmbeddingTests
{
    private const int Images = 5;

    private static readonly Dictionary<string, (ConvNetConfig Config, ImagePreprocessing Preparation)> Variants = new()
    {
        ["conv4, Omniglot preparation (inverted)"] = (new ConvNetConfig(), new ImagePreprocessing(28, 1, Invert: true)),
        ["no conv bias"] = (new ConvNetConfig(ConvBias: false), new ImagePreprocessing(28, 1, Invert: false)),
        ["3 blocks of 16 filters"] = (new ConvNetConfig(Blocks: 3, Filters: 16), new ImagePreprocessing(28, 1, Invert: true)),
        ["2 blocks of 32 filters (1568-d)"] = (new ConvNetConfig(Blocks: 2, Filters: 32), new ImagePreprocessing(28, 1, Invert: false)),
        ["kernel 5, normalised"] = (new ConvNetConfig(Kernel: 5), new ImagePreprocessing(28, 1, Invert: true, [0.1f], [0.3f])),
        ["3 channels, 32×32 (CIFAR-like), normalised"] = (new ConvNetConfig(InputChannels: 3, InputSize: 32),
            new ImagePreprocessing(32, 3, Invert: false, [0.49f, 0.48f, 0.45f], [0.25f, 0.24f, 0.26f])),
        ["dropout 0.25 (identity at inference)"] = (new ConvNetConfig(Dropout: 0.25f), new ImagePreprocessing(28, 1, Invert: false)),
        ["no pool after the last block (576-d)"] = (new ConvNetConfig(FinalPool: false), new ImagePreprocessing(28, 1, Invert: true)),
        ["the last map averaged (64-d)"] = (new ConvNetConfig(FinalPool: false, GlobalAverage: true), new ImagePreprocessing(28, 1, Invert: true)),
    };

    public static TheoryData<string> VariantNames => [.. Variants.Keys];

    [Theory]
    [MemberData(nameof(VariantNames))]
    public void EveryVariantEmbedsInOnnxRuntimeAsLshkDoes(string variant)
    {
        var (config, preparation) = Variants[variant];
        using var dir = new TempFolder();
        string model = OnnxTestModels.Save(dir.File("m.safetensors"), config, preparation);
        string onnx = OnnxTestModels.Export(model, dir.File("m.onnx"));
        float[] images = OnnxTestModels.Images(Images, config, seed: 9);

        var outputs = OnnxRuntimeRunner.Run(onnx, images, Images, config.InputChannels, config.InputSize);
        Assert.Equal([OnnxGraphNames.Embedding], outputs.Floats.Keys);
        Assert.Equal([Images, config.EmbeddingDim], outputs.Shapes[OnnxGraphNames.Embedding]);

        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(model, backend);
        float[] expected = embedder.Embed(PreparedAsLshk(images, embedder.Preprocessing), Images);
        OnnxAssert.Varied(expected, variant);
        OnnxAssert.Close(expected, outputs.Floats[OnnxGraphNames.Embedding], variant);
    }

    /// <summary>
    /// A briefly trained Conv-4 (real running statistics) on Omniglot PNG files: the Embedder reads, inverts, resizes
    /// them; the graph gets each file only scaled to [0, 1] and resized (no inversion), as the README tells users.
    /// </summary>
    [Fact]
    public void ATrainedModelEmbedsImageFilesLikeTheEmbedder()
    {
        using var dir = new TempFolder();
        string model = ClassifyTestModels.TrainOmniglot(dir.File("m.safetensors"), new ConvNetConfig(), episodes: 3, ways: 5, shots: 1, queries: 2);
        string onnx = OnnxTestModels.Export(model, dir.File("m.onnx"));
        string folder = EnrollCommandTests.SupportFolder(dir, "q", characters: 3, drawings: 2);
        var files = ImageFiles.Find([folder]);

        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(model, backend);
        Assert.True(embedder.Preprocessing.Invert);
        var (_, expected) = embedder.EmbedFiles(files);
        var plain = new ImagePreprocessing(28, 1, Invert: false);
        float[] images = files.SelectMany(f => ImageFiles.Prepare(File.ReadAllBytes(f), f, plain)).ToArray();
        var outputs = OnnxRuntimeRunner.Run(onnx, images, files.Count, 1, 28);

        OnnxAssert.Varied(expected, "trained conv4");
        OnnxAssert.Close(expected, outputs.Floats[OnnxGraphNames.Embedding], "trained conv4 on Omniglot files");
    }

    /// <summary>The images as lshk prepares them after resizing: 1 − x when the model inverts, then its normalisation.</summary>
    internal static float[] PreparedAsLshk(float[] images, ImagePreprocessing preprocessing)
    {
        var prepared = preprocessing.Invert ? images.Select(v => 1f - v).ToArray() : (float[])images.Clone();
        preprocessing.Normalise(prepared);
        return prepared;
    }
}
