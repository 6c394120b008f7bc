using Lshk.Kernels.Nn;
using Lshk.Nn.Layers;

namespace Lshk.Nn.Fused;

/// <summary>
/// BatchNorm2d → ReLU → MaxPool2d(2) as one operation (<see cref="INnOps.BatchNormReluPoolForward"/> and
/// <see cref="INnOps.BatchNormReluPoolBackward"/>), with the batch-norm layer's parameters and state; the normalised
/// and rectified tensors are never stored. It runs under <see cref="Fusion.NormReluPool"/>, and under
/// <see cref="Fusion.ConvBlock"/> where no convolution precedes the batch norm.
/// </summary>
internal sealed class BatchNormReluPool(BatchNorm2d bn) : Step
{
    private NnBuffer? _pooled, _dx, _input;

    public override Nchw OutputShape(Nchw input) => MaxPool2d.Pooled(bn.OutputShape(input));

    public override NnBuffer Forward(NnBuffer x, Nchw shape, bool training)
    {
        var pooled = ReusedBuffer.Ensure(bn.Ops, ref _pooled, OutputShape(shape).Length);
        bn.Ops.BatchNormReluPoolForward(shape, x, pooled, bn.Buffers, training, bn.Momentum, bn.Epsilon);
        if (training) bn.NumBatchesTracked++;
        _input = x;
        return pooled;
    }

    public override NnBuffer? Backward(NnBuffer dy, Nchw inputShape, bool inputGradient)
    {
        // the input gradient is needed for the γ/β gradients anyway (it is one pass with them)
        var dx = ReusedBuffer.Ensure(bn.Ops, ref _dx, inputShape.Length);
        bn.Ops.BatchNormReluPoolBackward(inputShape, _input!, dy, dx, bn.Buffers);
        return inputGradient ? dx : null;
    }

    public override void Dispose()
    {
        _pooled?.Dispose();
        _dx?.Dispose();
    }
}
