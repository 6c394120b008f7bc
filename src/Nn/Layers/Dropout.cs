using Lshk.Kernels.Nn;

namespace Lshk.Nn.Layers;

/// <summary>
/// Inverted dropout (PyTorch's <c>Dropout(p)</c>): in training each value is zeroed with probability
/// <see cref="Probability"/> and the rest scaled by 1/(1−p); in evaluation it is the identity. The mask of training
/// forward k comes from counter-based stream (seed, <see cref="Stream"/>·2³² + k), so runs are reproducible on any device.
/// </summary>
public sealed class Dropout : Layer
{
    private DropoutMask _mask;
    private int _length;
    private bool _masked;

    public Dropout(INnOps ops, float probability, ulong seed, ulong stream) : base(ops)
    {
        if (!(probability >= 0f && probability < 1f))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, $"dropout probability must be in [0, 1) (got {probability})");
        Probability = probability;
        Seed = seed;
        Stream = stream;
    }

    public float Probability { get; }
    public ulong Seed { get; set; }
    public ulong Stream { get; }

    /// <summary>Training forwards so far (the mask counter; set when restoring a training checkpoint).</summary>
    public ulong Forwards { get; set; }

    public override string Kind => "Dropout";

    public override Nchw OutputShape(Nchw input) => input;

    public override NnBuffer Forward(NnBuffer x, Nchw shape, bool training)
    {
        _length = shape.Length;
        _masked = training && Probability > 0f;
        if (!_masked) return x;
        _mask = new DropoutMask(1f - Probability, Seed, (Stream << 32) + Forwards++);
        var y = Output(_length);
        Ops.DropoutForward(x, y, _length, _mask);
        return y;
    }

    public override NnBuffer? Backward(NnBuffer dy, bool inputGradient)
    {
        if (!inputGradient) return null;
        if (!_masked) return dy;
        var dx = InputGradient(_length);
        Ops.DropoutBackward(dy, dx, _length, _mask);
        return dx;
    }
}
