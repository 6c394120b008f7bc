using Lshk.Kernels.Nn;

namespace Lshk.Nn.Fused;

/// <summary>
/// What <see cref="Sequential"/> runs: one layer on its own (<see cref="LayerStep"/>) or a run of layers fused into
/// one operation (<see cref="ConvBatchNormReluPool"/>, <see cref="BatchNormReluPool"/>) that uses the layers'
/// parameters and state.
/// </summary>
internal abstract class Step : IDisposable
{
    public abstract Nchw OutputShape(Nchw input);

    /// <summary>The step's output (a buffer it or its layer owns, valid until the next forward).</summary>
    public abstract NnBuffer Forward(NnBuffer x, Nchw shape, bool training);

    /// <summary>Back-propagates through the last forward; returns dL/d(input) when <paramref name="inputGradient"/> is set.</summary>
    public abstract NnBuffer? Backward(NnBuffer dy, Nchw inputShape, bool inputGradient);

    public virtual void Dispose()
    {
    }
}

/// <summary>A layer that runs on its own, through its own <see cref="Layer.Forward"/> and <see cref="Layer.Backward"/>.</summary>
internal sealed class LayerStep(Layer layer) : Step
{
    public override Nchw OutputShape(Nchw input) => layer.OutputShape(input);
    public override NnBuffer Forward(NnBuffer x, Nchw shape, bool training) => layer.Forward(x, shape, training);
    public override NnBuffer? Backward(NnBuffer dy, Nchw inputShape, bool inputGradient) => layer.Backward(dy, inputGradient);
}
