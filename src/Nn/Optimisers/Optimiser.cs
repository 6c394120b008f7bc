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
    public ILearningRateSchedule Schedule { get; }

    /// <summary>Steps taken so far.</summary>
    public int StepCount { get; private set; }

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
