using System.Reflection;
using Google.Protobuf;
using Lshk.Core;
using Lshk.Nn.ModelFiles;
using Onnx;

namespace Lshk.Export;

/// <summary>What was written: the opset, the graph's outputs and how many nodes compute them.</summary>
public sealed record OnnxExportSummary(int Opset, IReadOnlyList<string> Outputs, int Nodes, long Bytes);

/// <summary>
/// Writes a model's embedding network as an ONNX model: input <see cref="OnnxGraphNames.Image"/> (float32
/// N×C×S×S, the resized [0, 1] image), the model's preparation (<see cref="InputNodes"/>), its layers in inference
/// mode (<see cref="LayerNodes"/>), output <see cref="OnnxGraphNames.Embedding"/> (N×D), and, when asked, the stored
/// hash planes (<see cref="HashNodes"/>). Serialised by Google.Protobuf with the types protoc generates from the
/// official onnx.proto.
/// </summary>
public static class OnnxExporter
{
    /// <summary>ONNX metadata key: the SHA-256 of the model file, the checksum an lshk index names its model by.</summary>
    public const string ModelChecksumKey = "lshk.model_sha256";

    /// <summary>ONNX metadata key: what the input is, in words.</summary>
    public const string InputKey = "lshk.onnx.input";

    public static OnnxExportSummary Write(ExportedModel model, OnnxExportOptions options, Stream output)
    {
        var proto = Build(model, options);
        var bytes = proto.ToByteArray();
        output.Write(bytes);
        return new OnnxExportSummary(options.Opset, proto.Graph.Output.Select(o => o.Name).ToArray(), proto.Graph.Node.Count, bytes.LongLength);
    }

    internal static ModelProto Build(ExportedModel model, OnnxExportOptions options)
    {
        options.Validate();
        if (options.WithHash && model.Planes is null)
            throw new InputException($"{model.Source}: the model stores no hash planes ('{StoredPlanes.WeightName}', '{StoredPlanes.BiasName}') " +
                                     "to export; fit some with lshk fit-hash");
        var config = model.Config;
        var graph = new GraphBuilder("lshk");
        graph.Input(OnnxGraphNames.Image, TensorProto.Types.DataType.Float, OnnxGraphNames.Batch, config.InputChannels, config.InputSize, config.InputSize);

        string x = InputNodes.Add(graph, model.Preparation, config.InputChannels, OnnxGraphNames.Image);
        var state = ModelFile.StateDict(model.Network).ToDictionary(t => t.Name);
        for (int i = 0; i < model.Network.Layers.Count; i++)
            x = LayerNodes.Add(graph, model.Network.Layers[i], i, state, x);
        NameEmbedding(graph, x);
        graph.Output(OnnxGraphNames.Embedding, TensorProto.Types.DataType.Float, OnnxGraphNames.Batch, config.EmbeddingDim);
        if (options.WithHash) HashNodes.Add(graph, model.Planes!, OnnxGraphNames.Embedding);

        var proto = new ModelProto
        {
            IrVersion = options.IrVersion,
            ProducerName = "lshk",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "",
            DocString = $"lshk embedding network of {model.Source}: {config.Describe()}",
            Graph = graph.Graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = options.Opset });
        foreach (var (key, value) in model.Metadata.Where(m => m.Key.StartsWith("lshk.", StringComparison.Ordinal)).OrderBy(m => m.Key, StringComparer.Ordinal))
            proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        proto.MetadataProps.Add(new StringStringEntryProto { Key = ModelChecksumKey, Value = model.Checksum });
        proto.MetadataProps.Add(new StringStringEntryProto { Key = InputKey, Value = DescribeInput(model) });
        return proto;
    }

    /// <summary>The last layer's value becomes the graph output "embedding" (an Identity node when no layer produced one).</summary>
    private static void NameEmbedding(GraphBuilder graph, string last)
    {
        var nodes = graph.Graph.Node;
        if (nodes.Count > 0 && nodes[^1].Output[0] == last)
        {
            nodes[^1].Output[0] = OnnxGraphNames.Embedding;
            nodes[^1].Name = OnnxGraphNames.Embedding;
        }
        else graph.Node("Identity", OnnxGraphNames.Embedding, [last]);
    }

    private static string DescribeInput(ExportedModel model)
    {
        var c = model.Config;
        var p = model.Preparation;
        string steps = string.Join(", ", new[]
        {
            p.Invert ? "inverts it (1 - x)" : null,
            p.Mean is not null ? "subtracts the per-channel mean" : null,
            p.Std is not null ? "divides by the per-channel std" : null,
        }.Where(s => s is not null));
        return $"float32 N×{c.InputChannels}×{c.InputSize}×{c.InputSize}: {(c.InputChannels == 1 ? "grey" : "RGB")} images scaled to [0, 1] " +
               $"and resized to {c.InputSize}×{c.InputSize}; the graph {(steps.Length == 0 ? "applies no further preparation" : steps)}";
    }
}
