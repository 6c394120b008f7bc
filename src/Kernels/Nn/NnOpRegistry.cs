using Lshk.Kernels.Nn.Cpu;
using Lshk.Kernels.Nn.Gpu;

namespace Lshk.Kernels.Nn;

/// <summary>
/// Where a new layer's operation is added without touching <see cref="INnOps"/>: the op is an interface of its own
/// (its forward and backward), implemented by a CPU class (managed SIMD, <c>src/Kernels/Nn/Cpu</c>) and an ILGPU class
/// (its kernels in <c>src/Kernels/Nn/Gpu</c>), each in its own file, and named here by one entry. A layer asks for it
/// with <see cref="Create{TOp}"/> on the operations object it was made with and keeps it. (The Conv-4 operations
/// predate this and stay on <see cref="INnOps"/>, where the fused steps call them.)
/// </summary>
public static class NnOpRegistry
{
    private sealed record Forms(Func<CpuNnOps, object> Cpu, Func<IlgpuNnOps, object> Gpu);

    private static readonly Lock Guard = new();

    /// <summary>
    /// The built-in operations, one entry each: <c>[typeof(IMyOp)] = Pair&lt;IMyOp&gt;(ops =&gt; new CpuMyOp(ops),
    /// ops =&gt; new IlgpuMyOp(ops))</c>. The Conv-4 operations are on <see cref="INnOps"/>.
    /// </summary>
    private static readonly Dictionary<Type, Forms> Registered = new()
    {
        [typeof(IHashLayerOp)] = Pair<IHashLayerOp>(ops => new CpuHashLayer(ops), ops => new IlgpuHashLayer(ops)),
        [typeof(ILshSigmoidLossOp)] = Pair<ILshSigmoidLossOp>(ops => new CpuLshSigmoidLoss(ops), ops => new IlgpuLshSigmoidLoss(ops)),
        [typeof(IAveragePoolOp)] = Pair<IAveragePoolOp>(ops => new CpuAveragePool(ops), ops => new IlgpuAveragePool(ops)),
    };

    /// <summary>
    /// Adds an operation at run time (as the tests' toy layer does). Registering a type that is already registered
    /// keeps the first registration, so independent callers may each register what they need.
    /// </summary>
    public static void Register<TOp>(Func<CpuNnOps, TOp> cpu, Func<IlgpuNnOps, TOp> gpu) where TOp : class
    {
        ArgumentNullException.ThrowIfNull(cpu);
        ArgumentNullException.ThrowIfNull(gpu);
        lock (Guard) Registered.TryAdd(typeof(TOp), Pair(cpu, gpu));
    }

    /// <summary>The form of <typeparamref name="TOp"/> that runs where <paramref name="ops"/> computes.</summary>
    public static TOp Create<TOp>(INnOps ops) where TOp : class
    {
        Forms? forms;
        lock (Guard) Registered.TryGetValue(typeof(TOp), out forms);
        if (forms is null) throw new ArgumentException($"the operation {typeof(TOp).Name} is not registered in {nameof(NnOpRegistry)}");
        return ops switch
        {
            CpuNnOps cpu => (TOp)forms.Cpu(cpu),
            IlgpuNnOps gpu => (TOp)forms.Gpu(gpu),
            // Traced ops trace the Conv-4 operations; registered ones run untraced on the ops underneath.
            Tracing.TracingNnOps traced => Create<TOp>(traced.Inner),
            _ => throw new ArgumentException($"no form of {typeof(TOp).Name} for {ops.GetType().Name}"),
        };
    }

    private static Forms Pair<TOp>(Func<CpuNnOps, TOp> cpu, Func<IlgpuNnOps, TOp> gpu) where TOp : class =>
        new(ops => cpu(ops), ops => gpu(ops));
}
