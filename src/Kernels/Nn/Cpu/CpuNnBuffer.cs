namespace Lshk.Kernels.Nn.Cpu;

/// <summary>A pinned host array, so the CPU operations can work through raw pointers without fixing it each call.</summary>
public sealed unsafe class CpuNnBuffer : NnBuffer
{
    private readonly float[] _data;

    internal CpuNnBuffer(int length) : base(length)
    {
        _data = GC.AllocateArray<float>(Math.Max(length, 1), pinned: true);
        fixed (float* p = _data) Pointer = p; // pinned: the address never changes
    }

    internal float* Pointer { get; }

    /// <summary>The values, for host code (tests, the loss on small tensors).</summary>
    public Span<float> Span => _data.AsSpan(0, Length);

    public override void CopyFrom(ReadOnlySpan<float> source, int offset = 0)
    {
        CheckRange(offset, source.Length, nameof(source));
        source.CopyTo(_data.AsSpan(offset));
    }

    public override void CopyTo(Span<float> target, int offset = 0)
    {
        CheckRange(offset, target.Length, nameof(target));
        _data.AsSpan(offset, target.Length).CopyTo(target);
    }

    public override void Dispose()
    {
    }
}
