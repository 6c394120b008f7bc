using Lshk.Kernels.Nn;

namespace Lshk.Nn;

/// <summary>
/// One layer of a network, forward and backward side by side. A layer owns the buffers it writes (its output and
/// its input gradient), sized for the last batch and reused while the shape stays the same, and it remembers what
/// its backward needs from the last forward.
/// </summary>
public abstract class Layer : IDisposable
{
    private NnBuffer? _output, _inputGradient;

    protected Layer(INnOps ops) => Ops = ops;

    public INnOps Ops { get; }

    /// <summary>PyTorch's class name, e.g. "Conv2d".</summary>
    public abstract string Kind { get; }

    public abstract Nchw OutputShape(Nchw input);

    /// <summary>The layer's output for input <paramref name="x"/> of shape <paramref name="shape"/> (a buffer the layer owns).</summary>
    public abstract NnBuffer Forward(NnBuffer x, Nchw shape, bool training);

    /// <summary>
    /// Given dL/d(output) of the last forward: accumulates parameter gradients and returns dL/d(input), or null when
    /// <paramref name="inputGradient"/> is false (the network input needs none).
    /// </summary>
    public abstract NnBuffer? Backward(NnBuffer dy, bool inputGradient);

    public virtual IReadOnlyList<Parameter> Parameters => [];

    /// <summary>Float state saved with the parameters (PyTorch "buffers").</summary>
    public virtual IReadOnlyList<StateTensor> State => [];

    /// <summary>Sets parameters (and state) to PyTorch's default initialisation, drawn from <paramref name="stream"/>.</summary>
    public virtual void Initialise(Kernels.Random.CounterRng stream)
    {
    }

    protected NnBuffer Output(int length) => ReusedBuffer.Ensure(Ops, ref _output, length);

    protected NnBuffer InputGradient(int length) => ReusedBuffer.Ensure(Ops, ref _inputGradient, length);

    protected static InvalidOperationException NoForward(string kind) =>
        new($"{kind}: backward called without a training-mode forward");

    public virtual void Dispose()
    {
        _output?.Dispose();
        _inputGradient?.Dispose();
        _output = _inputGradient = null;
        foreach (var p in Parameters) p.Dispose();
        foreach (var s in State) s.Buffer.Dispose();
        GC.SuppressFinalize(this);
    }
}
