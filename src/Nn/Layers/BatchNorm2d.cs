using Lshk.Kernels.Nn;
using Lshk.Kernels.Random;

namespace Lshk.Nn.Layers;

/// <summary>
/// Batch normalisation over channels like PyTorch's <c>BatchNorm2d</c>: training mode normalises with the batch's
/// statistics and updates running mean and (unbiased) variance with <see cref="Momentum"/>; evaluation mode uses the
/// running statistics. <see cref="NumBatchesTracked"/> counts training forwards.
/// <para>Inside a Conv2d → BatchNorm2d → ReLU → MaxPool2d block this layer's own forward and backward are not the
/// code that runs by default: see <see cref="Fusion"/>.</para>
/// </summary>
public sealed class BatchNorm2d : Layer
{
    private readonly NnBuffer _savedMean, _savedInvStd;
    private NnBuffer? _input;
    private Nchw _shape;
    private bool _trainedForward;

    public BatchNorm2d(INnOps ops, int channels, float momentum = 0.1f, float epsilon = 1e-5f) : base(ops)
    {
        Kernels.Check.Positive(channels, "channels");
        Channels = channels;
        Momentum = momentum;
        Epsilon = epsilon;
        Weight = new Parameter(ops, "weight", [channels]);
        Bias = new Parameter(ops, "bias", [channels]);
        RunningMean = new StateTensor("running_mean", [channels], ops.Allocate(channels));
        RunningVar = new StateTensor("running_var", [channels], ops.Allocate(channels));
        _savedMean = ops.Allocate(channels);
        _savedInvStd = ops.Allocate(channels);
        ResetToDefaults();
    }

    public int Channels { get; }
    public float Momentum { get; }
    public float Epsilon { get; }
    public Parameter Weight { get; }
    public Parameter Bias { get; }
    public StateTensor RunningMean { get; }
    public StateTensor RunningVar { get; }

    /// <summary>Training-mode forwards so far (saved as int64, like PyTorch).</summary>
    public long NumBatchesTracked { get; set; }

    public override string Kind => "BatchNorm2d";
    public override IReadOnlyList<Parameter> Parameters => [Weight, Bias];
    public override IReadOnlyList<StateTensor> State => [RunningMean, RunningVar];

    internal BatchNormBuffers Buffers => new(Weight.Value, Bias.Value, RunningMean.Buffer, RunningVar.Buffer, _savedMean,
        _savedInvStd, Weight.Grad, Bias.Grad);

    private void CheckShape(Nchw input)
    {
        if (input.Channels != Channels)
            throw new ArgumentException($"BatchNorm2d expects {Channels} channels, got {input.Channels} ({input})");
    }

    public override Nchw OutputShape(Nchw input)
    {
        CheckShape(input);
        return input;
    }

    public override NnBuffer Forward(NnBuffer x, Nchw shape, bool training)
    {
        CheckShape(shape);
        var y = Output(shape.Length);
        if (training)
        {
            Ops.BatchNormTrainingForward(shape, x, y, Buffers, Momentum, Epsilon);
            NumBatchesTracked++;
        }
        else
        {
            Ops.BatchNormInferenceForward(shape, x, y, Buffers, Epsilon);
        }
        Remember(x, shape, training);
        return y;
    }

    private void Remember(NnBuffer x, Nchw shape, bool training)
    {
        _input = x;
        _shape = shape;
        _trainedForward = training;
    }

    public override NnBuffer? Backward(NnBuffer dy, bool inputGradient)
    {
        if (_input is null || !_trainedForward) throw NoForward(Kind);
        // the input gradient is needed for the γ/β gradients anyway (it is one pass with them)
        var dx = InputGradient(_shape.Length);
        Ops.BatchNormBackward(_shape, _input, dy, dx, Buffers);
        return inputGradient ? dx : null;
    }

    /// <summary>PyTorch's defaults: γ = 1, β = 0, running mean 0, running variance 1, no batches tracked.</summary>
    public override void Initialise(CounterRng stream) => ResetToDefaults();

    private void ResetToDefaults()
    {
        Ops.Fill(Weight.Value, 1f);
        Ops.Fill(Bias.Value, 0f);
        Ops.Fill(RunningMean.Buffer, 0f);
        Ops.Fill(RunningVar.Buffer, 1f);
        NumBatchesTracked = 0;
    }

    public override void Dispose()
    {
        base.Dispose();
        _savedMean.Dispose();
        _savedInvStd.Dispose();
    }
}
