using System.Numerics.Tensors;

namespace Lshk.Kernels.Cpu;

/// <summary>The original study's sigmoid LSH score, Σ_i sigmoid(k · s_i · q_i), and its top-k.</summary>
internal static class CpuSigmoid
{
    public static TopK<float> TopK(ReadOnlySpan<float> queryProjections, int q, ReadOnlySpan<float> supportProjections,
        int n, int p, float sharpness, int k)
    {
        BackendChecks.SigmoidTopK(queryProjections, q, supportProjections, n, p, sharpness, k);

        var best = RunningTopK.ForFloats(q, k);
        float[] qs = queryProjections.ToArray(), ss = supportProjections.ToArray();
        Parallel.For(0, q, () => new float[p], (r, _, product) =>
        {
            var query = qs.AsSpan(r * p, p);
            for (int s = 0; s < n; s++)
            {
                // sigmoid(k·s_i·q_i) summed over planes
                TensorPrimitives.Multiply(query, ss.AsSpan(s * p, p), product);
                TensorPrimitives.Multiply(product, sharpness, product);
                TensorPrimitives.Sigmoid(product, product);
                // each task offers only to its own query's row, so the rows need no lock
                best.Offer(r, TensorPrimitives.Sum<float>(product), s);
            }
            return product;
        }, _ => { });
        var result = Kernels.TopK.ForFloats(q, k);
        best.WriteTo(result, 0, q);
        return result;
    }
}
