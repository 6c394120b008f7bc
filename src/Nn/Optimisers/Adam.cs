using Lshk.Kernels.Nn;

namespace Lshk.Nn.Optimisers;

/// <summary>Adam, as PyTorch's <c>torch.optim.Adam</c> (weight decay added to the gradient, L2-style).</summary>
public sealed class Adam : Optimiser
{
    private readonly NnBuffer[] _m, _v;

    public Adam(INnOps ops, IReadOnlyList<Parameter> parameters, ILearningRateSchedule schedule, float beta1 = 0.9f,
        float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f) : base(ops, parameters, schedule)
    {
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        new AdamStep(schedule.Rate(0), beta1, beta2, epsilon, weightDecay, 1).Validate();
        _m = StateBuffers();
        _v = StateBuffers();
    }

    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Epsilon { get; }
    public float WeightDecay { get; }

    public override IReadOnlyList<(string Name, IReadOnlyList<NnBuffer> Buffers)> State => [("exp_avg", _m), ("exp_avg_sq", _v)];

    protected override void Update(float learningRate, int step)
    {
        var settings = new AdamStep(learningRate, Beta1, Beta2, Epsilon, WeightDecay, step);
        for (int i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            Ops.AdamUpdate(p.Value, p.Grad, _m[i], _v[i], p.Length, settings);
        }
    }

    public override void Dispose()
    {
        foreach (var b in _m) b.Dispose();
        foreach (var b in _v) b.Dispose();
    }
}
