using System.Numerics.Tensors;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// The CPU form of <see cref="IAveragePoolOp"/> (GPU form: <see cref="Gpu.IlgpuAveragePool"/>). The map it pools is
/// small (Conv-4's last at 28×28: 3×3, 46 K values for a 360-image episode at 128 filters), so it runs on the calling
/// thread, a vectorised sum per plane.
/// </summary>
internal sealed class CpuAveragePool(CpuNnOps ops) : IAveragePoolOp
{
    public void Forward(in Nchw inputShape, NnBuffer x, NnBuffer y)
    {
        AveragePoolChecks.Forward(inputShape, x, y);
        var input = ops.SpanOf(x);
        var mean = ops.SpanOf(y);
        int size = inputShape.Height * inputShape.Width;
        for (int plane = 0; plane < mean.Length; plane++)
            mean[plane] = TensorPrimitives.Sum(input.Slice(plane * size, size)) / size;
    }

    public void Backward(in Nchw inputShape, NnBuffer dy, NnBuffer dx)
    {
        AveragePoolChecks.Backward(inputShape, dy, dx);
        var dMean = ops.SpanOf(dy);
        var dInput = ops.SpanOf(dx);
        int size = inputShape.Height * inputShape.Width;
        for (int plane = 0; plane < dMean.Length; plane++)
            dInput.Slice(plane * size, size).Fill(dMean[plane] / size);
    }
}
