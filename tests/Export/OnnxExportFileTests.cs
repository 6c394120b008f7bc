using Lshk.App.Modeling;
using Lshk.Export;
using Lshk.Kernels.Cpu;
using Lshk.Nn;
using Lshk.Tests.Cli;
using Onnx;

namespace Lshk.Tests.Export;

/// <summary>The file itself (read back with the official schema), the opsets it can target, and the command's one-line errors.</summary>
[Collection(OnnxRuntimeCollection.Name)]
public class OnnxExportFileTests
{
    [Theory]
    [InlineData(OnnxExportOptions.MinOpset, 8)]
    [InlineData(OnnxExportOptions.DefaultOpset, 8)]
    [InlineData(OnnxExportOptions.MaxOpset, 10)]
    public void TheFileDeclaresItsOpsetAndModelAndRunsAtEveryOpset(int opset, long irVersion)
    {
        using var dir = new TempFolder();
        var config = new ConvNetConfig(Blocks: 2, Filters: 8);
        string model = OnnxTestModels.Save(dir.File("m.safetensors"), config, ClassifyTestModels.Omniglot);
        string onnx = OnnxTestModels.Export(model, dir.File("m.onnx"), "--opset", $"{opset}");

        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        Assert.Equal(irVersion, proto.IrVersion);
        Assert.Equal(opset, Assert.Single(proto.OpsetImport).Version);
        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(model, backend);
        var metadata = proto.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(embedder.Checksum, metadata[OnnxExporter.ModelChecksumKey]);
        Assert.Equal("true", metadata["lshk.preprocess.invert"]);
        var input = Assert.Single(proto.Graph.Input);
        Assert.Equal(OnnxGraphNames.Image, input.Name);
        Assert.Equal(["batch", "1", "28", "28"], input.Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString()));
        // conv, batch norm, relu, max-pool per block, the inversion and the flatten: no dropout node, nothing else.
        Assert.Equal(["Sub", "Conv", "BatchNormalization", "Relu", "MaxPool", "Conv", "BatchNormalization", "Relu", "MaxPool", "Flatten"],
            proto.Graph.Node.Select(n => n.OpType));

        float[] images = OnnxTestModels.Images(3, config, seed: 2);
        var outputs = OnnxRuntimeRunner.Run(onnx, images, 3, 1, 28);
        OnnxAssert.Close(embedder.Embed(OnnxEmbeddingTests.PreparedAsLshk(images, embedder.Preprocessing), 3),
            outputs.Floats[OnnxGraphNames.Embedding], $"opset {opset}");
    }

    [Fact]
    public void ANonModelFileIsAOneLineInputError()
    {
        using var dir = new TempFolder();
        string notModel = dir.File("notes.safetensors");
        File.WriteAllText(notModel, "these are my notes, not a model\n");
        var run = CliRunner.Run("export", "--model", notModel, "--format", "onnx", "--out", dir.File("m.onnx"));
        Assert.Equal(1, run.Code);
        string line = Assert.Single(run.Err.Trim().Split('\n'));
        Assert.StartsWith($"lshk: error: {notModel}: ", line);
        Assert.False(File.Exists(dir.File("m.onnx")));
        Assert.Empty(Directory.GetFiles(dir.Path, "m.onnx*"));
    }

    [Theory]
    [InlineData("--opset", "12", "--opset must be 13 to 21 (got 12)")]
    [InlineData("--opset", "22", "--opset must be 13 to 21 (got 22)")]
    [InlineData("--format", "tflite", "tflite")]
    public void BadOptionsAreUsageErrors(string option, string value, string message)
    {
        using var dir = new TempFolder();
        string model = OnnxTestModels.Save(dir.File("m.safetensors"), new ConvNetConfig(Blocks: 2, Filters: 4), ClassifyTestModels.Omniglot);
        var run = CliRunner.Run("export", "--model", model, "--out", dir.File("m.onnx"), option, value);
        Assert.Equal(2, run.Code);
        Assert.Contains(message, Assert.Single(run.Err.Trim().Split('\n')));
        Assert.False(File.Exists(dir.File("m.onnx")));
    }
}
