using ILGPU;

namespace Lshk.Kernels.Gpu;

/// <summary>
/// Rows to scale to unit length: source is Rows × D row-major; element (r, j) is written to
/// target[r * RowStride + j * ColumnStride], so the same kernel writes row-major (RowStride = D, ColumnStride = 1)
/// or dimension-major (RowStride = 1, ColumnStride = Rows).
/// </summary>
internal readonly struct NormaliseArgs(ArrayView<float> source, ArrayView<float> target, int rows, int d, int rowStride,
    int columnStride)
{
    public readonly ArrayView<float> Source = source;
    public readonly ArrayView<float> Target = target;
    public readonly int Rows = rows;
    public readonly int D = d;
    public readonly int RowStride = rowStride;
    public readonly int ColumnStride = columnStride;
}

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
