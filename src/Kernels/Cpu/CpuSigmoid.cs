using System.Numerics.Tensors;

namespace Lshk.Kernels.Cpu;

/// <summary>The original study's sigmoid LSH score, Σ_i sigmoid(k · s_i · q_i), and its top-k.</summary>
internal static class CpuSigmoid
{
    public static TopK<float> TopK(ReadOnlySpan<float> queryProjections, int q, ReadOnlySpan<float> supportProjections,
        int n, int p, float sharpness, int k)
    {
        Check.NonNegative(q, nameof(q));
        Check.NonNegative(n, nameof(n));
        Check.Positive(p, "planes");
        Check.Positive(k, nameof(k));
        Check.Length(queryProjections, (long)q * p, nameof(queryProjections));
        Check.Length(supportProjections, (long)n * p, nameof(supportProjections));
        if (!float.IsFinite(sharpness)) throw new ArgumentException($"sharpness must be finite (got {sharpness})");

        var result = Kernels.TopK.ForFloats(q, k);
        float[] qs = queryProjections.ToArray(), ss = supportProjections.ToArray();
        Parallel.For(0, q, () => new float[p], (r, _, product) =>
        {
            var scores = result.ScoreRow(r);
            var idx = result.IndexRow(r);
            float threshold = float.NegativeInfinity;
            var query = qs.AsSpan(r * p, p);
            for (int s = 0; s < n; s++)
            {
                // sigmoid(k·s_i·q_i) summed over planes
                TensorPrimitives.Multiply(query, ss.AsSpan(s * p, p), product);
                TensorPrimitives.Multiply(product, sharpness, product);
                TensorPrimitives.Sigmoid(product, product);
                float score = TensorPrimitives.Sum<float>(product);
                if (score > threshold)
                {
                    TopKList.Insert(scores, idx, score, s);
                    threshold = scores[k - 1];
                }
            }
            return product;
        }, _ => { });
        return result;
    }
}
