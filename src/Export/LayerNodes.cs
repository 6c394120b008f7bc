using Lshk.Nn;
using Lshk.Nn.Layers;
using Lshk.Nn.ModelFiles;
using static Lshk.Export.GraphBuilder;

namespace Lshk.Export;

/// <summary>
/// Each layer type of lshk's networks as ONNX nodes, in inference mode (what the Embedder runs): one case per layer
/// class, so a network of any block shape (a block without batch norm, more or fewer layers) exports by walking its
/// layers. Parameters and running statistics become constants named as in the model file's state_dict ("0.weight",
/// "1.running_mean"), so they can be matched with the .safetensors tensors.
/// </summary>
internal static class LayerNodes
{
    /// <summary>lshk's MaxPool2d is always a 2×2 window with stride 2, no padding, floor mode (ONNX's ceil_mode 0).</summary>
    private const long PoolSize = 2;

    /// <summary>Adds layer <paramref name="index"/> reading value <paramref name="input"/>; returns the value it produces.</summary>
    public static string Add(GraphBuilder graph, Layer layer, int index, IReadOnlyDictionary<string, SafeTensor> state, string input)
    {
        string Param(string name)
        {
            var t = state[$"{index}.{name}"];
            return graph.Constant(t.Name, t.Shape, t.ToFloats());
        }
        string output = $"{index}.{layer.Kind.ToLowerInvariant()}";
        return layer switch
        {
            Conv2d conv => graph.Node("Conv", output, conv.Bias is null ? [input, Param("weight")] : [input, Param("weight"), Param("bias")],
                Ints("kernel_shape", conv.Kernel, conv.Kernel), Ints("strides", conv.Stride, conv.Stride),
                Ints("pads", conv.Padding, conv.Padding, conv.Padding, conv.Padding)),
            // Inference mode: the running statistics, as Embedder uses them (training_mode defaults to 0).
            BatchNorm2d bn => graph.Node("BatchNormalization", output,
                [input, Param("weight"), Param("bias"), Param("running_mean"), Param("running_var")], Float("epsilon", bn.Epsilon)),
            ReLU => graph.Node("Relu", output, [input]),
            MaxPool2d => graph.Node("MaxPool", output, [input], Ints("kernel_shape", PoolSize, PoolSize), Ints("strides", PoolSize, PoolSize)),
            // The identity at inference: no node.
            Dropout => input,
            GlobalAveragePool => graph.Node("GlobalAveragePool", output, [input]),
            Flatten => graph.Node("Flatten", output, [input], Int("axis", 1)),
            _ => throw new NotSupportedException($"layer {index} ({layer.Kind}) has no ONNX form yet: add a case for it to {nameof(LayerNodes)}"),
        };
    }
}
