using Lshk.Kernels.Nn;

namespace Lshk.Nn.Layers;

/// <summary>
/// max(x, 0); the gradient passes where the output is positive (PyTorch's ReLU'(0) = 0).
/// <para>In a network this is not the code that runs by default: <see cref="Sequential"/> runs each
/// Conv2d → BatchNorm2d → ReLU → MaxPool2d block as one <see cref="Fused.ConvBatchNormReluPool"/> step
/// (see <see cref="Fusion"/>); a ReLU between a batch norm and a pooling layer runs inside that step or
/// <see cref="Fused.BatchNormReluPool"/>. This layer's own forward and backward run only elsewhere, or with
/// <see cref="Fusion.None"/>.</para>
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
