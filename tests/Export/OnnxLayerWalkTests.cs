using Lshk.Export;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Nn;
using Lshk.Nn;
using Lshk.Nn.Layers;
using Lshk.Tests.Cli;

namespace Lshk.Tests.Export;

/// <summary>
/// The exporter walks a network's layers by type rather than assuming Conv-4's block shape: a network with blocks
/// without batch norm (and one conv without bias) exports and runs in ONNX Runtime like lshk's own forward pass.
/// </summary>
[Collection(OnnxRuntimeCollection.Name)]
public class OnnxLayerWalkTests
{
    [Fact]
    public void BlocksWithoutBatchNormExportLayerByLayer()
    {
        using var backend = new CpuBackend();
        var ops = NnOps.For(backend);
        var config = new ConvNetConfig(Blocks: 2, Filters: 4);
        using var network = new Sequential(ops,
        [
            new Conv2d(ops, 1, 4, kernel: 3, stride: 1, padding: 1), new ReLU(ops), new MaxPool2d(ops),
            new Conv2d(ops, 4, 4, kernel: 3, stride: 1, padding: 1, bias: false), new ReLU(ops), new MaxPool2d(ops),
            new Flatten(ops),
        ]);
        network.Initialise(seed: 8);

        using var dir = new TempFolder();
        string onnx = dir.File("plain.onnx");
        var model = new ExportedModel("a network without batch norm", network, config, InputPreparation.None, Planes: null,
            new Dictionary<string, string>(), Checksum: "");
        using (var file = File.Create(onnx)) OnnxExporter.Write(model, new OnnxExportOptions(), file);

        const int count = 4;
        float[] images = OnnxTestModels.Images(count, config, seed: 3);
        using var input = ops.Allocate(images.Length);
        input.CopyFrom(images);
        float[] expected = network.Forward(input, ConvNet.InputShape(config, count), training: false).ToArray();
        var outputs = OnnxRuntimeRunner.Run(onnx, images, count, 1, 28);
        Assert.Equal([count, config.EmbeddingDim], outputs.Shapes[OnnxGraphNames.Embedding]);
        OnnxAssert.Varied(expected, "no batch norm");
        OnnxAssert.Close(expected, outputs.Floats[OnnxGraphNames.Embedding], "no batch norm");
    }

    [Fact]
    public void ALayerWithoutAnOnnxFormIsNamed()
    {
        using var backend = new CpuBackend();
        var ops = NnOps.For(backend);
        using var network = new Sequential(ops, [new Conv2d(ops, 1, 2, kernel: 3, stride: 1, padding: 1), new Unexported(ops), new Flatten(ops)]);
        var model = new ExportedModel("a network with a new layer", network, new ConvNetConfig(Blocks: 1, Filters: 2), InputPreparation.None,
            Planes: null, new Dictionary<string, string>(), Checksum: "");
        var e = Assert.Throws<NotSupportedException>(() => OnnxExporter.Write(model, new OnnxExportOptions(), Stream.Null));
        Assert.Equal("layer 1 (Unexported) has no ONNX form yet: add a case for it to LayerNodes", e.Message);
    }

    /// <summary>A layer type the exporter has never heard of (it passes its input through).</summary>
    private sealed class Unexported(INnOps ops) : Layer(ops)
    {
        public override string Kind => "Unexported";
        public override Nchw OutputShape(Nchw input) => input;
        public override NnBuffer Forward(NnBuffer x, Nchw shape, bool training) => x;
        public override NnBuffer? Backward(NnBuffer dy, bool inputGradient) => dy;
    }
}
