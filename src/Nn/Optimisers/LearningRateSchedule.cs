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

    /// <summary>
    /// Later lengths, in order: from step <c>From</c> on, the curve carries on from where it stood there and reaches its
    /// end at step <c>Total</c> instead. A run budgeted in minutes re-times itself a few times (the machine's pace can
    /// change by a factor of four), so it ends on time with the rate near 0 without a jump in the rate.
    /// </summary>
    public IReadOnlyList<(int From, int Total)> Retimings { get; init; } = [];

    /// <summary>The step the rate reaches <see cref="Minimum"/> at: the last length the schedule was given.</summary>
    public int EndStep => Retimings.Count > 0 ? Retimings[^1].Total : TotalSteps;

    public float Rate(int step)
    {
        Kernels.Check.Positive(TotalSteps, "cosine schedule length");
        if (step < FullRateSteps) return LearningRate;
        // Without re-timings, the expression runs in the order it always has, so earlier runs repeat bit for bit.
        double angle = Retimings.Count == 0 ? Math.PI * Math.Min(step, TotalSteps) / TotalSteps : Math.PI * Progress(step);
        return (float)(Minimum + (LearningRate - Minimum) * (1 + Math.Cos(angle)) / 2);
    }

    /// <summary>How far along the curve step t is (0…1): t/T, then, from each re-timing on, the rest of the way over its steps.</summary>
    public double Progress(int step)
    {
        double progress = Math.Min(step, TotalSteps) / (double)TotalSteps;
        double start = 0;
        int from = 0, total = TotalSteps;
        foreach (var (f, t) in Retimings)
        {
            if (step < f) break;
            start = Segment(start, from, total, f);
            (from, total) = (f, t);
            progress = Segment(start, from, total, step);
        }
        return progress;
    }

    // Progress at `step` along a segment that began at `from` with progress `start` and ends at `total`.
    private static double Segment(double start, int from, int total, int step) =>
        total <= from ? 1 : start + (1 - start) * Math.Min(step - from, total - from) / (total - from);
}
