using Lshk.Kernels.Nn;

namespace Lshk.Nn;

/// <summary>
/// The one rule by which layers, fused steps and losses keep their output buffers: a buffer sized for the last batch
/// is reused while the size stays the same and replaced (the old one disposed) when it changes, so steady-state
/// training allocates nothing.
/// </summary>
internal static class ReusedBuffer
{
    /// <summary><paramref name="buffer"/> with exactly <paramref name="length"/> values, made by <paramref name="ops"/> when needed.</summary>
    public static NnBuffer Ensure(INnOps ops, ref NnBuffer? buffer, int length)
    {
        if (buffer is null || buffer.Length != length)
        {
            buffer?.Dispose();
            buffer = ops.Allocate(length);
        }
        return buffer;
    }
}
