using Lshk.Data;
using Lshk.Kernels.Nn;
using Lshk.Nn;

namespace Lshk.Cli.Training;

/// <summary>Embeds a whole dataset with a network in evaluation mode (batch-norm running statistics, no dropout).</summary>
public static class NetworkEmbedding
{
    public static float[] Embed(Sequential network, ConvNetConfig config, INnOps ops, Dataset data, int batch = 500)
    {
        int dim = config.EmbeddingDim, length = data.ImageLength;
        var result = new float[(long)data.Count * dim];
        for (int start = 0; start < data.Count; start += batch)
        {
            int n = Math.Min(batch, data.Count - start);
            using var input = ops.Allocate(n * length);
            input.CopyFrom(data.Images.AsSpan(start * length, n * length));
            var output = network.Forward(input, ConvNet.InputShape(config, n), training: false);
            output.CopyTo(result.AsSpan(start * dim, n * dim));
        }
        return result;
    }
}
