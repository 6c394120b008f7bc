using Lshk.Kernels.Nn;

namespace Lshk.Nn.Optimisers;

/// <summary>SGD with momentum, as PyTorch's <c>torch.optim.SGD</c> (dampening 0, optional Nesterov).</summary>
public sealed class Sgd : Optimiser
{
    private readonly NnBuffer[] _velocity;

    public Sgd(INnOps ops, IReadOnlyList<Parameter> parameters, ILearningRateSchedule schedule, float momentum = 0.9f,
        float weightDecay = 0f, bool nesterov = false) : base(ops, parameters, schedule)
    {
        Momentum = momentum;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
        new SgdStep(schedule.Rate(0), momentum, weightDecay, nesterov, true).Validate();
        _velocity = StateBuffers();
    }

    public float Momentum { get; }
    public float WeightDecay { get; }
    public bool Nesterov { get; }

    public override IReadOnlyList<(string Name, IReadOnlyList<NnBuffer> Buffers)> State => [("momentum_buffer", _velocity)];

    protected override void Update(float learningRate, int step)
    {
        var settings = new SgdStep(learningRate, Momentum, WeightDecay, Nesterov, FirstStep: step == 1);
        for (int i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            Ops.SgdUpdate(p.Value, p.Grad, _velocity[i], p.Length, settings);
        }
    }

    public override void Dispose()
    {
        foreach (var b in _velocity) b.Dispose();
    }
}
