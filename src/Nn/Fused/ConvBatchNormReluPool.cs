using Lshk.Kernels.Nn;
using Lshk.Nn.Layers;

namespace Lshk.Nn.Fused;

/// <summary>
/// Conv2d → BatchNorm2d → ReLU → MaxPool2d(2) as one operation (<see cref="INnOps.ConvBlockForward"/> and
/// <see cref="INnOps.ConvBlockBackward"/>), with the conv and batch-norm layers' parameters and state; the ReLU and
/// pooling layers have none. This is what runs for each block of the embedding network by default
/// (<see cref="Fusion.ConvBlock"/>). It keeps the convolution's output (the batch norm's input) for the backward, and
/// the input for the weight gradient.
/// </summary>
internal sealed class ConvBatchNormReluPool(Conv2d conv, BatchNorm2d bn) : Step
{
    private NnBuffer? _convOut, _pooled, _dx, _input;
    private Conv2dShape _shape;

    public override Nchw OutputShape(Nchw input)
    {
        var convShape = conv.OutputShape(input);
        return MaxPool2d.Pooled(bn.OutputShape(convShape));
    }

    public override NnBuffer Forward(NnBuffer x, Nchw shape, bool training)
    {
        var pooledShape = OutputShape(shape);
        _shape = conv.ShapeFor(shape);
        var convOut = ReusedBuffer.Ensure(conv.Ops, ref _convOut, _shape.OutputLength);
        var pooled = ReusedBuffer.Ensure(conv.Ops, ref _pooled, pooledShape.Length);
        conv.Ops.ConvBlockForward(_shape, x, conv.Weight.Value, conv.Bias?.Value, convOut, pooled, bn.Buffers, training,
            bn.Momentum, bn.Epsilon);
        if (training) bn.NumBatchesTracked++;
        _input = x;
        return pooled;
    }

    public override NnBuffer? Backward(NnBuffer dy, Nchw inputShape, bool inputGradient)
    {
        var dx = inputGradient ? ReusedBuffer.Ensure(conv.Ops, ref _dx, _shape.InputLength) : null;
        conv.Ops.ConvBlockBackward(_shape, _input!, conv.Weight.Value, conv.Bias?.Value, _convOut!, dy, dx, conv.Weight.Grad, conv.Bias?.Grad,
            bn.Buffers);
        return dx;
    }

    public override void Dispose()
    {
        _convOut?.Dispose();
        _pooled?.Dispose();
        _dx?.Dispose();
    }
}
