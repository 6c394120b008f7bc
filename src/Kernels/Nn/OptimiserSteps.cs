namespace Lshk.Kernels.Nn;

/// <summary>
/// One Adam update, as PyTorch's <c>torch.optim.Adam</c> (not AdamW): g ← grad + weightDecay·param;
/// m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; param ← param − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε).
/// <see cref="Step"/> t counts from 1.
/// </summary>
public readonly record struct AdamStep(float LearningRate, float Beta1, float Beta2, float Epsilon, float WeightDecay, int Step)
{
    public void Validate()
    {
        if (!(LearningRate >= 0f) || !float.IsFinite(LearningRate)) throw new ArgumentException($"learning rate must be finite and non-negative (got {LearningRate})");
        if (!(Beta1 >= 0f && Beta1 < 1f) || !(Beta2 >= 0f && Beta2 < 1f)) throw new ArgumentException($"Adam betas must be in [0, 1) (got {Beta1}, {Beta2})");
        if (!(Epsilon > 0f)) throw new ArgumentException($"Adam epsilon must be positive (got {Epsilon})");
        if (!(WeightDecay >= 0f) || !float.IsFinite(WeightDecay)) throw new ArgumentException($"weight decay must be finite and non-negative (got {WeightDecay})");
        Check.Positive(Step, "Adam step");
    }

    /// <summary>lr / (1 − β1^t).</summary>
    public float StepSize => (float)(LearningRate / (1.0 - Math.Pow(Beta1, Step)));

    /// <summary>1 / √(1 − β2^t).</summary>
    public float InvSqrtBiasCorrection2 => (float)(1.0 / Math.Sqrt(1.0 - Math.Pow(Beta2, Step)));
}

/// <summary>
/// One SGD update with momentum, as PyTorch's <c>torch.optim.SGD</c> (dampening 0): g ← grad + weightDecay·param;
/// velocity ← g on the first step, else momentum·velocity + g; param ← param − lr·(nesterov ? g + momentum·velocity : velocity).
/// </summary>
public readonly record struct SgdStep(float LearningRate, float Momentum, float WeightDecay, bool Nesterov, bool FirstStep)
{
    public void Validate()
    {
        if (!(LearningRate >= 0f) || !float.IsFinite(LearningRate)) throw new ArgumentException($"learning rate must be finite and non-negative (got {LearningRate})");
        if (!(Momentum >= 0f && Momentum < 1f)) throw new ArgumentException($"momentum must be in [0, 1) (got {Momentum})");
        if (!(WeightDecay >= 0f) || !float.IsFinite(WeightDecay)) throw new ArgumentException($"weight decay must be finite and non-negative (got {WeightDecay})");
    }
}
