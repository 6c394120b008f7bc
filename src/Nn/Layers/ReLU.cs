using Lshk.Kernels.Nn;

namespace Lshk.Nn.Layers;

/// <summary>
/// max(x, 0); the gradient passes where the output is positive (PyTorch's ReLU'(0) = 0).
/// <para>Inside a Conv2d → BatchNorm2d → ReLU → MaxPool2d block this layer's own forward and backward are not the
/// code that runs by default: see <see cref="Fusion"/>.</para>
/// </summary>
public sealed class ReLU(INnOps ops) : Layer(ops)
{
    private NnBuffer? _output;
    private int _length;

    public override string Kind => "ReLU";

    public override Nchw OutputShape(Nchw input) => input;

    public override NnBuffer Forward(NnBuffer x, Nchw shape, bool training)
    {
        _length = shape.Length;
        _output = Output(_length);
        Ops.ReluForward(x, _output, _length);
        return _output;
    }

    public override NnBuffer? Backward(NnBuffer dy, bool inputGradient)
    {
        if (_output is null) throw NoForward(Kind);
        if (!inputGradient) return null;
        var dx = InputGradient(_length);
        Ops.ReluBackward(_output, dy, dx, _length);
        return dx;
    }
}
