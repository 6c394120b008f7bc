using Lshk.Kernels.Nn;
using Lshk.Kernels.Random;

namespace Lshk.Nn.Layers;

/// <summary>
/// 2-d convolution (cross-correlation) like PyTorch's <c>Conv2d</c>: weights OIHW, optional bias.
/// <para>Inside a Conv2d → BatchNorm2d → ReLU → MaxPool2d block this layer's own forward and backward are not the
/// code that runs by default: see <see cref="Fusion"/>.</para>
/// </summary>
public sealed class Conv2d : Layer
{
    private NnBuffer? _input;
    private Conv2dShape _shape;

    public Conv2d(INnOps ops, int inChannels, int outChannels, int kernel = 3, int stride = 1, int padding = 1, bool bias = true)
        : base(ops)
    {
        Check(inChannels, outChannels, kernel, stride, padding);
        InChannels = inChannels;
        OutChannels = outChannels;
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
        Weight = new Parameter(ops, "weight", [outChannels, inChannels, kernel, kernel]);
        Bias = bias ? new Parameter(ops, "bias", [outChannels]) : null;
    }

    private static void Check(int inChannels, int outChannels, int kernel, int stride, int padding)
    {
        Kernels.Check.Positive(inChannels, "input channels");
        Kernels.Check.Positive(outChannels, "output channels");
        Kernels.Check.Positive(kernel, "kernel size");
        Kernels.Check.Positive(stride, "stride");
        Kernels.Check.NonNegative(padding, "padding");
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int Kernel { get; }
    public int Stride { get; }
    public int Padding { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    public override string Kind => "Conv2d";

    public override IReadOnlyList<Parameter> Parameters => Bias is null ? [Weight] : [Weight, Bias];

    internal Conv2dShape ShapeFor(Nchw input)
    {
        if (input.Channels != InChannels)
            throw new ArgumentException($"Conv2d expects {InChannels} input channels, got {input.Channels} ({input})");
        var s = new Conv2dShape(input.Batch, InChannels, input.Height, input.Width, OutChannels, Kernel, Stride, Padding);
        s.Validate();
        return s;
    }

    public override Nchw OutputShape(Nchw input)
    {
        var s = ShapeFor(input);
        return new Nchw(input.Batch, OutChannels, s.OutHeight, s.OutWidth);
    }

    public override NnBuffer Forward(NnBuffer x, Nchw shape, bool training)
    {
        _shape = ShapeFor(shape);
        _input = x;
        var y = Output(_shape.OutputLength);
        Ops.Conv2dForward(_shape, x, Weight.Value, Bias?.Value, y);
        return y;
    }

    public override NnBuffer? Backward(NnBuffer dy, bool inputGradient)
    {
        if (_input is null) throw NoForward(Kind);
        var dx = inputGradient ? InputGradient(_shape.InputLength) : null;
        Ops.Conv2dBackward(_shape, _input, Weight.Value, dy, dx, Weight.Grad, Bias?.Grad);
        return dx;
    }

    /// <summary>
    /// PyTorch's default: weights and bias uniform in ±1/√fan_in (Kaiming-uniform with a = √5 gives exactly this
    /// bound for the weights), fan_in = Cin·K·K.
    /// </summary>
    public override void Initialise(CounterRng stream)
    {
        double bound = 1.0 / Math.Sqrt(InChannels * Kernel * Kernel);
        Weight.Value.CopyFrom(Initialisation.Uniform(stream.Substream(0), Weight.Length, bound));
        Bias?.Value.CopyFrom(Initialisation.Uniform(stream.Substream(1), Bias.Length, bound));
    }
}
