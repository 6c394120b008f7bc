using Lshk.Kernels.Nn;

namespace Lshk.Nn.Optimisers;

/// <summary>
/// Updates parameters from their gradients, once per <see cref="Step"/>, with the learning rate its schedule gives
/// for the step. Gradients are accumulated by backward passes and zeroed by <see cref="ZeroGrad"/>.
/// </summary>
public abstract class Optimiser : IDisposable
{
    protected Optimiser(INnOps ops, IReadOnlyList<Parameter> parameters, ILearningRateSchedule schedule)
    {
        if (parameters.Count == 0) throw new ArgumentException("the optimiser has no parameters to update");
        Ops = ops;
        Parameters = parameters;
        Schedule = schedule;
    }

    protected INnOps Ops { get; }
    public IReadOnlyList<Parameter> Parameters { get; }
    /// <summary>
    /// The rates by step. Set once more by a run budgeted in minutes, when it has timed its first steps and knows how
    /// long its cosine schedule is (steps taken keep the rates they had).
    /// </summary>
    public ILearningRateSchedule Schedule { get; set; }

    /// <summary>Steps taken so far (set when restoring a training checkpoint, with <see cref="State"/>).</summary>
    public int StepCount
    {
        get;
        set => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "step count must not be negative");
    }

    /// <summary>
    /// The optimiser's per-parameter state, named as PyTorch's optimiser state ("exp_avg", "exp_avg_sq",
    /// "momentum_buffer"): one buffer per entry of <see cref="Parameters"/> for each name. Training checkpoints save
    /// and restore it.
    /// </summary>
    public virtual IReadOnlyList<(string Name, IReadOnlyList<NnBuffer> Buffers)> State => [];

    /// <summary>The rate the next step will use.</summary>
    public float LearningRate => Schedule.Rate(StepCount);

    public void ZeroGrad()
    {
        for (int i = 0; i < Parameters.Count; i++) Ops.Fill(Parameters[i].Grad, 0f); // no enumerator: steps allocate nothing
    }

    public void Step()
    {
        Update(Schedule.Rate(StepCount), StepCount + 1);
        StepCount++;
    }

    /// <summary>Updates every parameter; <paramref name="step"/> counts from 1.</summary>
    protected abstract void Update(float learningRate, int step);

    protected NnBuffer[] StateBuffers() => Parameters.Select(p => Ops.Allocate(p.Length)).ToArray();

    public abstract void Dispose();
}
