using Lshk.Kernels.Nn;

namespace Lshk.Nn.Layers;

/// <summary>
/// N×C×H×W → N×C×1×1: each channel's map averaged over its positions (PyTorch's <c>AdaptiveAvgPool2d(1)</c>). After
/// an unpooled last block (<see cref="ConvNetConfig.GlobalAverage"/>) every position of the map reaches the embedding,
/// where the last 2×2 max-pool of a 3×3 map reads only its top-left 2×2, so a one-pixel shift of the image moves
/// features in and out of the embedding. Its operation: <see cref="IAveragePoolOp"/>.
/// </summary>
public sealed class GlobalAveragePool(INnOps ops) : Layer(ops)
{
    private readonly IAveragePoolOp _op = NnOpRegistry.Create<IAveragePoolOp>(ops);
    private Nchw _shape;
    private bool _forwarded;

    public override string Kind => "AdaptiveAvgPool2d";

    public override Nchw OutputShape(Nchw input) => new(input.Batch, input.Channels, 1, 1);

    public override NnBuffer Forward(NnBuffer x, Nchw shape, bool training)
    {
        var y = Output(shape.Batch * shape.Channels);
        _op.Forward(shape, x, y);
        _shape = shape;
        _forwarded = true;
        return y;
    }

    public override NnBuffer? Backward(NnBuffer dy, bool inputGradient)
    {
        if (!_forwarded) throw NoForward(Kind);
        if (!inputGradient) return null;
        var dx = InputGradient(_shape.Length);
        _op.Backward(_shape, dy, dx);
        return dx;
    }
}
