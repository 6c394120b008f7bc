using Lshk.Kernels;

namespace Lshk.Lsh;

/// <summary>
/// The original study's "sigmoid LSH" matching: raw projections instead of bits, and the score
/// Σ_i sigmoid(k · s_i · q_i), a smooth count of the planes on which query and support agree in sign.
/// </summary>
public static class SigmoidScore
{
    /// <summary>The sharpness k the original study used in its evaluation.</summary>
    public const float DefaultSharpness = 50f;

    public static TopK<float> TopK(IComputeBackend backend, LshHasher hasher, ReadOnlySpan<float> support, int n,
        ReadOnlySpan<float> queries, int q, int k, float sharpness = DefaultSharpness)
    {
        float[] sp = hasher.Project(backend, support, n);
        float[] qp = hasher.Project(backend, queries, q);
        return backend.SigmoidTopK(qp, q, sp, n, hasher.Planes.Count, sharpness, k);
    }
}
