using ILGPU;
using Lshk.Kernels.Gpu;

namespace Lshk.Kernels.Nn.Gpu;

/// <summary>Element-wise maps over Count values: a → b (and c when a third operand is needed).</summary>
internal readonly record struct ElementwiseArgs(ArrayView<float> A, ArrayView<float> B, ArrayView<float> C, int Count,
    float Value);

internal readonly record struct DropoutArgs(ArrayView<float> X, ArrayView<float> Y, int Count, ulong Key, uint Threshold,
    float Scale);

internal static class ElementwiseKernels
{
    /// <summary>a[i] = value.</summary>
    [GpuKernel]
    public static void Fill(ElementwiseArgs a)
    {
        for (int i = Threads.Global; i < a.Count; i += Threads.Total) a.A[i] = a.Value;
    }

    /// <summary>b[i] = max(a[i], 0).</summary>
    [GpuKernel]
    public static void ReluForward(ElementwiseArgs a)
    {
        for (int i = Threads.Global; i < a.Count; i += Threads.Total) a.B[i] = a.A[i] > 0f ? a.A[i] : 0f;
    }

    /// <summary>c[i] = b[i] where a[i] &gt; 0 (a is the forward output, b the output gradient), else 0.</summary>
    [GpuKernel]
    public static void ReluBackward(ElementwiseArgs a)
    {
        for (int i = Threads.Global; i < a.Count; i += Threads.Total) a.C[i] = a.A[i] > 0f ? a.B[i] : 0f;
    }

    /// <summary>y[i] = x[i]·scale where <see cref="DropoutMask.Keeps(ulong, uint, long)"/> keeps i, else 0 — the CPU's mask.</summary>
    [GpuKernel]
    public static void Dropout(DropoutArgs a)
    {
        for (int i = Threads.Global; i < a.Count; i += Threads.Total)
            a.Y[i] = DropoutMask.Keeps(a.Key, a.Threshold, i) ? a.X[i] * a.Scale : 0f;
    }
}
