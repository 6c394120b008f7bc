using Lshk.Kernels.Nn;
using Lshk.Nn.Layers;

namespace Lshk.Nn.Fused;

/// <summary>
/// Conv2d (with its bias) → ReLU → MaxPool2d(2) as one step, for networks without batch norm (the 2018 study's). It
/// pools first and rectifies the pooled tensor: max and ReLU commute (relu(max(w)) = max(relu(w)) exactly, and a
/// window whose maximum is positive has the same first maximum before and after ReLU), so the results are those of
/// the three layers, while the full-size rectified tensor and its gradient are never stored and the ReLU passes touch
/// a quarter of the values. Built from the existing conv, pool and ReLU operations, so it runs on every backend.
/// </summary>
internal sealed class ConvReluPool(Conv2d conv) : Step
{
    private NnBuffer? _convOut, _pooledRaw, _pooled, _dPooled, _dConvOut, _dx, _input;
    private Conv2dShape _shape;
    private Nchw _convShape;

    public override Nchw OutputShape(Nchw input) => MaxPool2d.Pooled(conv.OutputShape(input));

    public override NnBuffer Forward(NnBuffer x, Nchw shape, bool training)
    {
        var ops = conv.Ops;
        _shape = conv.ShapeFor(shape);
        _convShape = conv.OutputShape(shape);
        int pooledLength = OutputShape(shape).Length;
        var convOut = ReusedBuffer.Ensure(ops, ref _convOut, _shape.OutputLength);
        var pooledRaw = ReusedBuffer.Ensure(ops, ref _pooledRaw, pooledLength);
        var pooled = ReusedBuffer.Ensure(ops, ref _pooled, pooledLength);
        ops.Conv2dForward(_shape, x, conv.Weight.Value, conv.Bias?.Value, convOut);
        ops.MaxPool2x2Forward(_convShape, convOut, pooledRaw);
        ops.ReluForward(pooledRaw, pooled, pooledLength);
        _input = x;
        return pooled;
    }

    public override NnBuffer? Backward(NnBuffer dy, Nchw inputShape, bool inputGradient)
    {
        var ops = conv.Ops;
        int pooledLength = _pooled!.Length;
        var dPooled = ReusedBuffer.Ensure(ops, ref _dPooled, pooledLength);
        var dConvOut = ReusedBuffer.Ensure(ops, ref _dConvOut, _shape.OutputLength);
        var dx = inputGradient ? ReusedBuffer.Ensure(ops, ref _dx, _shape.InputLength) : null;
        ops.ReluBackward(_pooled, dy, dPooled, pooledLength);
        ops.MaxPool2x2Backward(_convShape, _convOut!, dPooled, dConvOut);
        ops.Conv2dBackward(_shape, _input!, conv.Weight.Value, dConvOut, dx, conv.Weight.Grad, conv.Bias?.Grad);
        return dx;
    }

    public override void Dispose()
    {
        _convOut?.Dispose();
        _pooledRaw?.Dispose();
        _pooled?.Dispose();
        _dPooled?.Dispose();
        _dConvOut?.Dispose();
        _dx?.Dispose();
    }
}
