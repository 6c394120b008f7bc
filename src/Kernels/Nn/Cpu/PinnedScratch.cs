namespace Lshk.Kernels.Nn.Cpu;

/// <summary>A pinned array that grows on demand and is otherwise reused, for scratch space without per-call allocation.</summary>
internal sealed unsafe class PinnedScratch<T> where T : unmanaged
{
    private T[] _data = [];

    public T* Pointer { get; private set; }
    public int Capacity => _data.Length;

    /// <summary>A pointer to at least <paramref name="length"/> elements; their contents are kept only if no growth happens.</summary>
    public T* Ensure(int length)
    {
        if (length > _data.Length)
        {
            _data = GC.AllocateArray<T>(length, pinned: true);
            fixed (T* p = _data) Pointer = p;
        }
        return Pointer;
    }

    /// <summary>Ensures <paramref name="length"/> elements and sets them to zero.</summary>
    public T* EnsureZeroed(int length)
    {
        T* p = Ensure(length);
        new Span<T>(p, length).Clear();
        return p;
    }
}
