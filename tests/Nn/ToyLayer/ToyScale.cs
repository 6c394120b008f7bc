using ILGPU;
using Lshk.Kernels.Gpu;
using Lshk.Kernels.Nn;
using Lshk.Kernels.Nn.Cpu;
using Lshk.Kernels.Nn.Gpu;
using Lshk.Nn;

namespace Lshk.Tests.Nn.ToyLayer;

// A toy layer added the way docs/ARCHITECTURE.md says a layer is added: its operation (an interface), the operation's
// CPU form and GPU kernel, and the layer class, each its own piece, plus one registry entry (here made at run time,
// in ToyLayerTests). y = a·x with one trainable scalar a; backward dx = a·dy, da += Σ x·dy.

/// <summary>The toy layer's operation.</summary>
public interface IToyScaleOp
{
    void Forward(NnBuffer x, NnBuffer a, NnBuffer y, int count);

    void Backward(NnBuffer x, NnBuffer a, NnBuffer dy, NnBuffer dx, NnBuffer da, int count);
}

/// <summary>The CPU form.</summary>
internal sealed class CpuToyScale(CpuNnOps ops) : IToyScaleOp
{
    public void Forward(NnBuffer x, NnBuffer a, NnBuffer y, int count)
    {
        var xs = ops.SpanOf(x);
        var ys = ops.SpanOf(y);
        float scale = ops.SpanOf(a)[0];
        for (int i = 0; i < count; i++) ys[i] = scale * xs[i];
    }

    public void Backward(NnBuffer x, NnBuffer a, NnBuffer dy, NnBuffer dx, NnBuffer da, int count)
    {
        var xs = ops.SpanOf(x);
        var g = ops.SpanOf(dy);
        var dxs = ops.SpanOf(dx);
        float scale = ops.SpanOf(a)[0];
        float sum = 0f;
        for (int i = 0; i < count; i++)
        {
            dxs[i] = scale * g[i];
            sum += xs[i] * g[i];
        }
        ops.SpanOf(da)[0] += sum;
    }
}

public readonly record struct ToyScaleArgs(ArrayView<float> X, ArrayView<float> A, ArrayView<float> Y, ArrayView<float> G, int Count);

/// <summary>The GPU kernels: element-wise maps, and the parameter gradient summed in order by one thread (a toy).</summary>
public static class ToyScaleKernels
{
    public static void Forward(ToyScaleArgs a)
    {
        for (int i = Threads.Global; i < a.Count; i += Threads.Total) a.Y[i] = a.A[0] * a.X[i];
    }

    /// <summary>Y holds dy here and G the input gradient.</summary>
    public static void InputGradient(ToyScaleArgs a)
    {
        for (int i = Threads.Global; i < a.Count; i += Threads.Total) a.G[i] = a.A[0] * a.Y[i];
    }

    /// <summary>A[0] += Σ X·Y (Y holds dy), on one thread.</summary>
    public static void ScaleGradient(ToyScaleArgs a)
    {
        if (Threads.Global != 0) return;
        float sum = 0f;
        for (int i = 0; i < a.Count; i++) sum += a.X[i] * a.Y[i];
        a.A[0] += sum;
    }
}

/// <summary>The GPU form.</summary>
internal sealed class IlgpuToyScale(IlgpuNnOps ops) : IToyScaleOp
{
    public void Forward(NnBuffer x, NnBuffer a, NnBuffer y, int count) =>
        ops.Run(ToyScaleKernels.Forward, count, new ToyScaleArgs(ops.ViewOf(x), ops.ViewOf(a), ops.ViewOf(y), ops.ViewOf(y), count));

    public void Backward(NnBuffer x, NnBuffer a, NnBuffer dy, NnBuffer dx, NnBuffer da, int count)
    {
        ops.Run(ToyScaleKernels.InputGradient, count, new ToyScaleArgs(ops.ViewOf(x), ops.ViewOf(a), ops.ViewOf(dy), ops.ViewOf(dx), count));
        ops.Run(ToyScaleKernels.ScaleGradient, 1, new ToyScaleArgs(ops.ViewOf(x), ops.ViewOf(da), ops.ViewOf(dy), ops.ViewOf(dx), count));
    }
}

/// <summary>The layer class: forward and backward side by side, on whichever backend its operations object runs.</summary>
internal sealed class ToyScaleLayer : Layer
{
    private readonly IToyScaleOp _op;
    private readonly Parameter _scale;
    private NnBuffer? _input;
    private int _count;

    public ToyScaleLayer(INnOps ops, float scale) : base(ops)
    {
        _op = NnOpRegistry.Create<IToyScaleOp>(ops);
        _scale = new Parameter(ops, "weight", [1]);
        _scale.Value.CopyFrom([scale]);
    }

    public Parameter Scale => _scale;

    public override string Kind => "ToyScale";

    public override Nchw OutputShape(Nchw input) => input;

    public override IReadOnlyList<Parameter> Parameters => [_scale];

    public override NnBuffer Forward(NnBuffer x, Nchw shape, bool training)
    {
        _count = shape.Length;
        _input = x;
        var y = Output(_count);
        _op.Forward(x, _scale.Value, y, _count);
        return y;
    }

    public override NnBuffer? Backward(NnBuffer dy, bool inputGradient)
    {
        if (_input is null) throw NoForward(Kind);
        var dx = InputGradient(_count);
        _op.Backward(_input, _scale.Value, dy, dx, _scale.Grad, _count);
        return inputGradient ? dx : null;
    }

    public override void Dispose()
    {
        _scale.Dispose();
        base.Dispose();
    }
}
