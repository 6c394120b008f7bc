using ILGPU;
using ILGPU.Runtime;

namespace Lshk.Kernels.Nn.Gpu;

/// <summary>Device memory for the ILGPU operations (on a CUDA GPU, or host memory of ILGPU's CPU simulator).</summary>
public sealed class IlgpuNnBuffer : NnBuffer
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _buffer;
    private readonly object _gate;

    internal IlgpuNnBuffer(IlgpuNnOps owner, MemoryBuffer1D<float, Stride1D.Dense> buffer, int length, object gate) : base(length)
    {
        Owner = owner;
        _buffer = buffer;
        _gate = gate;
    }

    internal IlgpuNnOps Owner { get; }

    /// <summary>The whole allocation (at least one element, even for an empty buffer).</summary>
    internal ArrayView<float> View => _buffer.View;

    // Span overloads: they pin the host memory during the copy (see IlgpuBackend.Upload).
    public override void CopyFrom(ReadOnlySpan<float> source, int offset = 0)
    {
        CheckRange(offset, source.Length, nameof(source));
        if (source.IsEmpty) return;
        lock (_gate) ((ArrayView<float>)_buffer.View).SubView(offset, source.Length).CopyFromCPU(source);
    }

    public override void CopyTo(Span<float> target, int offset = 0)
    {
        CheckRange(offset, target.Length, nameof(target));
        if (target.IsEmpty) return;
        lock (_gate) ((ArrayView<float>)_buffer.View).SubView(offset, target.Length).CopyToCPU(target);
    }

    public override void Dispose() => _buffer.Dispose();
}
