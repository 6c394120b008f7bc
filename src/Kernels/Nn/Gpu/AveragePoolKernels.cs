using ILGPU;
using Lshk.Kernels.Gpu;

namespace Lshk.Kernels.Nn.Gpu;

/// <summary>Global average pooling over an N×C×H×W input: Mean is N×C (one value per plane).</summary>
internal readonly record struct AveragePoolArgs(NchwDims D, ArrayView<float> X, ArrayView<float> Mean, ArrayView<float> Dx);

/// <summary>
/// The kernels of <see cref="IAveragePoolOp"/>'s GPU form: the mean of each plane, and its gradient spread evenly back
/// over the plane.
/// </summary>
internal static class AveragePoolKernels
{
    /// <summary>One thread per plane: Mean[p] = Σ X over the plane / (H·W), summed in order as the CPU form.</summary>
    [GpuKernel]
    public static void Forward(AveragePoolArgs a)
    {
        long planes = (long)a.D.N * a.D.C;
        int size = a.D.Plane;
        for (long p = Threads.Global; p < planes; p += Threads.Total)
        {
            float sum = 0f;
            for (int k = 0; k < size; k++) sum += a.X[p * size + k];
            a.Mean[p] = sum / size;
        }
    }

    /// <summary>One thread per input element: Dx = dMean of its plane / (H·W) (Mean holds the output gradient).</summary>
    [GpuKernel]
    public static void Backward(AveragePoolArgs a)
    {
        int size = a.D.Plane;
        long total = (long)a.D.N * a.D.C * size;
        for (long t = Threads.Global; t < total; t += Threads.Total)
            a.Dx[t] = a.Mean[t / size] / size;
    }
}

/// <summary>The GPU form of <see cref="IAveragePoolOp"/> (CPU form: <see cref="Cpu.CpuAveragePool"/>).</summary>
internal sealed class IlgpuAveragePool(IlgpuNnOps ops) : IAveragePoolOp
{
    public void Forward(in Nchw inputShape, NnBuffer x, NnBuffer y)
    {
        AveragePoolChecks.Forward(inputShape, x, y);
        ops.Run(AveragePoolKernels.Forward, (long)inputShape.Batch * inputShape.Channels,
            new AveragePoolArgs(new NchwDims(inputShape), ops.ViewOf(x), ops.ViewOf(y), ops.ViewOf(y)));
    }

    public void Backward(in Nchw inputShape, NnBuffer dy, NnBuffer dx)
    {
        AveragePoolChecks.Backward(inputShape, dy, dx);
        ops.Run(AveragePoolKernels.Backward, inputShape.Length,
            new AveragePoolArgs(new NchwDims(inputShape), ops.ViewOf(dx), ops.ViewOf(dy), ops.ViewOf(dx)));
    }
}
