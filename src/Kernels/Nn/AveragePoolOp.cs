namespace Lshk.Kernels.Nn;

/// <summary>
/// Global average pooling (<c>lshk train --final-pool average</c>): each channel's map of an N×C×H×W input averaged
/// over its positions into N×C, and in the backward each value's gradient spread evenly back over its map.
/// Forms: <see cref="Cpu.CpuAveragePool"/> (CPU), <see cref="Gpu.IlgpuAveragePool"/> with kernels in
/// <see cref="Gpu.AveragePoolKernels"/> (GPU); float64 reference <c>NnReference.AveragePool</c> in
/// tests/Nn/Reference/NnReference.cs. Registered in <see cref="NnOpRegistry"/>.
/// </summary>
public interface IAveragePoolOp
{
    /// <summary>y[n, c] = the mean of plane (n, c) of x.</summary>
    void Forward(in Nchw inputShape, NnBuffer x, NnBuffer y);

    /// <summary>dx = dy[n, c] / (H·W) at every position of plane (n, c); dx is overwritten.</summary>
    void Backward(in Nchw inputShape, NnBuffer dy, NnBuffer dx);
}

/// <summary>The argument checks both forms of <see cref="IAveragePoolOp"/> share.</summary>
internal static class AveragePoolChecks
{
    public static void Forward(in Nchw inputShape, NnBuffer x, NnBuffer y)
    {
        NnChecks.Expect(x, inputShape.Length, "average-pool input");
        NnChecks.Expect(y, inputShape.Batch * inputShape.Channels, "average-pool output");
    }

    public static void Backward(in Nchw inputShape, NnBuffer dy, NnBuffer dx)
    {
        NnChecks.Expect(dy, inputShape.Batch * inputShape.Channels, "average-pool output gradient");
        NnChecks.Expect(dx, inputShape.Length, "average-pool input gradient");
    }
}
