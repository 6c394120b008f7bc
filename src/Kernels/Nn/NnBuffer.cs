namespace Lshk.Kernels.Nn;

/// <summary>
/// A float array where the neural-net operations compute: pinned host memory for the CPU operations, device
/// memory for the ILGPU kernels. Created by <see cref="INnOps.Allocate"/>, zero-filled, and usable only with
/// the operations object that made it. Tensors are NCHW float32 laid out flat.
/// </summary>
public abstract class NnBuffer : IDisposable
{
    protected NnBuffer(int length)
    {
        Check.NonNegative(length, nameof(length));
        Length = length;
    }

    public int Length { get; }

    /// <summary>Copies <paramref name="source"/> into this buffer starting at <paramref name="offset"/>.</summary>
    public abstract void CopyFrom(ReadOnlySpan<float> source, int offset = 0);

    /// <summary>Copies values from this buffer, starting at <paramref name="offset"/>, into <paramref name="target"/>.</summary>
    public abstract void CopyTo(Span<float> target, int offset = 0);

    public float[] ToArray()
    {
        var result = new float[Length];
        CopyTo(result);
        return result;
    }

    protected void CheckRange(int offset, int count, string name)
    {
        if (offset < 0 || count < 0 || (long)offset + count > Length)
            throw new ArgumentException($"{name}: {count} values at offset {offset} do not fit a buffer of {Length}", name);
    }

    public abstract void Dispose();
}
