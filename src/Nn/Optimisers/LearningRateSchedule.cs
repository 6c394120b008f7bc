namespace Lshk.Nn.Optimisers;

/// <summary>The learning rate of optimiser step t (counting from 0).</summary>
public interface ILearningRateSchedule
{
    float Rate(int step);
}

/// <summary>The same rate at every step.</summary>
public sealed record ConstantRate(float LearningRate) : ILearningRateSchedule
{
    public float Rate(int step) => LearningRate;
}

/// <summary>Step decay (PyTorch's StepLR): lr·γ^⌊t / every⌋.</summary>
public sealed record StepDecay(float LearningRate, int Every, float Gamma) : ILearningRateSchedule
{
    public float Rate(int step)
    {
        Kernels.Check.Positive(Every, "step-decay period");
        return (float)(LearningRate * Math.Pow(Gamma, step / Every));
    }
}

/// <summary>
/// Cosine annealing (PyTorch's CosineAnnealingLR without restarts): min + (lr − min)·(1 + cos(π·t/T))/2 for t ≤ T,
/// then min.
/// </summary>
public sealed record CosineDecay(float LearningRate, int TotalSteps, float Minimum = 0f) : ILearningRateSchedule
{
    /// <summary>
    /// Steps at the full rate before the curve applies (0: none). A run budgeted in minutes does not know T until it
    /// has timed its first steps, so it takes them at the full rate (where the curve is within a fraction of a percent
    /// of it anyway) and then follows the curve from step t on, as if it had applied from the start.
    /// </summary>
    public int FullRateSteps { get; init; }

    public float Rate(int step)
    {
        Kernels.Check.Positive(TotalSteps, "cosine schedule length");
        if (step < FullRateSteps) return LearningRate;
        double t = Math.Min(step, TotalSteps);
        return (float)(Minimum + (LearningRate - Minimum) * (1 + Math.Cos(Math.PI * t / TotalSteps)) / 2);
    }
}
