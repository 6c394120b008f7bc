using Lshk.Kernels.Nn;

namespace Lshk.Nn.Layers;

/// <summary>
/// 2×2 max-pooling with stride 2, floor mode (PyTorch's <c>MaxPool2d(2)</c>); ties go to the first maximum.
/// <para>Inside a Conv2d → BatchNorm2d → ReLU → MaxPool2d block this layer's own forward and backward are not the
/// code that runs by default: see <see cref="Fusion"/>.</para>
/// </summary>
public sealed class MaxPool2d(INnOps ops) : Layer(ops)
{
    private NnBuffer? _input;
    private Nchw _shape;

    public override string Kind => "MaxPool2d";

    public override Nchw OutputShape(Nchw input) => Pooled(input);

    /// <summary>The output shape of 2×2 pooling, for this layer and the fused steps that end with it.</summary>
    internal static Nchw Pooled(Nchw input)
    {
        if (input.Height < 2 || input.Width < 2)
            throw new ArgumentException($"MaxPool2d(2) needs an input of at least 2×2 (got {input})");
        return input.Pooled;
    }

    public override NnBuffer Forward(NnBuffer x, Nchw shape, bool training)
    {
        var y = Output(OutputShape(shape).Length);
        Ops.MaxPool2x2Forward(shape, x, y);
        _input = x;
        _shape = shape;
        return y;
    }

    public override NnBuffer? Backward(NnBuffer dy, bool inputGradient)
    {
        if (_input is null) throw NoForward(Kind);
        if (!inputGradient) return null;
        var dx = InputGradient(_shape.Length);
        Ops.MaxPool2x2Backward(_shape, _input, dy, dx);
        return dx;
    }
}
