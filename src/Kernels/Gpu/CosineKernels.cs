using ILGPU;

namespace Lshk.Kernels.Gpu;

/// <summary>
/// Rows to scale to unit length: source is Rows × D row-major; element (r, j) is written to
/// target[r * RowStride + j * ColumnStride], so the same kernel writes row-major (RowStride = D, ColumnStride = 1)
/// or dimension-major (RowStride = 1, ColumnStride = Rows).
/// </summary>
internal readonly record struct NormaliseArgs(ArrayView<float> Source, ArrayView<float> Target, int Rows, int D, int RowStride,
    int ColumnStride);

internal static class CosineKernels
{
    /// <summary>One thread per row (grid-stride): divide by the L2 norm; a zero row stays zero.</summary>
    [GpuKernel]
    public static void Normalise(NormaliseArgs a)
    {
        for (int r = Threads.Global; r < a.Rows; r += Threads.Total)
        {
            long row = (long)r * a.D;
            float squares = 0f;
            for (int j = 0; j < a.D; j++)
            {
                float v = a.Source[row + j];
                squares += v * v;
            }
            float norm = MathF.Sqrt(squares);
            for (int j = 0; j < a.D; j++)
            {
                float v = a.Source[row + j];
                a.Target[(long)r * a.RowStride + (long)j * a.ColumnStride] = norm > 0f ? v / norm : v;
            }
        }
    }
}
