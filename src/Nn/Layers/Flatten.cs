using Lshk.Kernels.Nn;

namespace Lshk.Nn.Layers;

/// <summary>N×C×H×W → N×(C·H·W): the same buffer viewed as rows (shape N×(C·H·W)×1×1).</summary>
public sealed class Flatten(INnOps ops) : Layer(ops)
{
    public override string Kind => "Flatten";

    public override Nchw OutputShape(Nchw input) => new(input.Batch, input.Channels * input.Height * input.Width, 1, 1);

    public override NnBuffer Forward(NnBuffer x, Nchw shape, bool training) => x;

    public override NnBuffer? Backward(NnBuffer dy, bool inputGradient) => inputGradient ? dy : null;
}
