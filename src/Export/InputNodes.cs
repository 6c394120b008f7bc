using Onnx;

namespace Lshk.Export;

/// <summary>
/// The preparation lshk applies to a resized [0, 1] image before its network (<see cref="InputPreparation"/>), as
/// nodes: 1 − x when the model inverts, then (x − mean) / std per channel, each only when the model has it. The
/// same float operations in the same order as lshk's, so the exported graph sees the tensor the Embedder sees.
/// </summary>
internal static class InputNodes
{
    public static string Add(GraphBuilder graph, InputPreparation preparation, int channels, string input)
    {
        string x = input;
        if (preparation.Invert)
            x = graph.Node("Sub", "prepare.inverted", [graph.Constant("prepare.one", [], [1f]), x]);
        // [1, C, 1, 1]: one value per channel, broadcast over the batch and the pixels.
        long[] perChannel = [1, channels, 1, 1];
        if (preparation.Mean is { } mean)
            x = graph.Node("Sub", "prepare.centred", [x, graph.Constant("prepare.mean", perChannel, mean)]);
        if (preparation.Std is { } std)
            x = graph.Node("Div", "prepare.scaled", [x, graph.Constant("prepare.std", perChannel, std)]);
        return x;
    }
}
