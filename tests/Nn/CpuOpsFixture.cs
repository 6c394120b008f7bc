using Lshk.Kernels.Nn;
using Lshk.Kernels.Nn.Cpu;

namespace Lshk.Tests.Nn;

/// <summary>One CPU operations object (two worker threads, so the parallel paths run) shared by a test class.</summary>
public sealed class CpuOpsFixture : IDisposable
{
    public CpuNnOps Ops { get; } = new(threads: 2);

    public void Dispose() => Ops.Dispose();
}

internal static class BufferExtensions
{
    public static NnBuffer Upload(this INnOps ops, double[] values)
    {
        var buffer = ops.Allocate(values.Length);
        buffer.CopyFrom(values.Select(v => (float)v).ToArray());
        return buffer;
    }

    public static NnBuffer Upload(this INnOps ops, float[] values)
    {
        var buffer = ops.Allocate(values.Length);
        buffer.CopyFrom(values);
        return buffer;
    }

    public static double[] ToDoubles(this NnBuffer buffer) => buffer.ToArray().Select(v => (double)v).ToArray();
}
