namespace Lshk.Kernels.Nn;

/// <summary>The two cosine-similarity episode losses, which share their normalisation and backward.</summary>
public enum CosineLossMode
{
    /// <summary>Softmax over the supports' scaled cosines; a class's probability is the sum over its supports.</summary>
    Matching = 0,

    /// <summary>Softmax over classes of the scaled mean cosine to each class's supports.</summary>
    CosineMean = 1,
}

/// <summary>Constants of the cosine losses.</summary>
public static class CosineLoss
{
    /// <summary>
    /// Added to Σe² under the square root of every norm: ‖e‖ = √(Σe² + ε). Keeps a zero embedding's cosine at 0 and
    /// its gradient finite (at most 1/√ε times the incoming gradient); negligible for embeddings of ordinary size.
    /// </summary>
    public const float NormEpsilon = 1e-8f;

    /// <summary>The default fixed logit scale (cosines lie in [−1, 1], too flat for a softmax unscaled).</summary>
    public const float DefaultScale = 10f;
}
