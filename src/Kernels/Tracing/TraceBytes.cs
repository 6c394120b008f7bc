using System.Runtime.CompilerServices;
using Lshk.Kernels.Nn;

namespace Lshk.Kernels.Tracing;

/// <summary>Bytes a call reads or writes, from its arguments' element counts.</summary>
internal static class TraceBytes
{
    public static long Floats(long count) => count * sizeof(float);
    public static long Words(long count) => count * sizeof(uint);
    public static long Ints(long count) => count * sizeof(int);

    /// <summary>A whole buffer (null, a buffer the call skips: 0).</summary>
    public static long Of(NnBuffer? buffer) => buffer is null ? 0 : Floats(buffer.Length);

    /// <summary>A batch norm's per-channel parameters (γ, β) and statistics (mean, variance): four floats a channel.</summary>
    public static long Statistics(int channels) => Floats(4L * channels);

    /// <summary>A top-k result: an index and a score per entry.</summary>
    public static long Of<T>(TopK<T> result) where T : unmanaged =>
        (long)result.Indices.Length * sizeof(int) + (long)result.Scores.Length * Unsafe.SizeOf<T>();
}
