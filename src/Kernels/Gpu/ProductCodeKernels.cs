using ILGPU;

namespace Lshk.Kernels.Gpu;

/// <summary>
/// Inputs of the product-quantiser kernels (layout: <see cref="ProductCodes"/>): centroids M × 256 × Run row-major,
/// already shifted where the operation shifts them (the host adds the shift with one rounded add, as the CPU does).
/// </summary>
internal readonly record struct ProductArgs(ArrayView<float> Centroids, int Subspaces, int Run)
{
    public int Dim => Subspaces * Run;
}

/// <summary>
/// Product-quantiser codes on the GPU; the CPU form is <see cref="Cpu.CpuProductCodes"/>, and every float here is
/// summed in its order (increasing run position, then increasing subspace) with separately rounded operations.
/// </summary>
internal static class ProductCodeKernels
{
    private const int K = ProductCodes.Centroids;

    /// <summary>
    /// One thread per (item, code word), grid-stride: the word's up to four subspaces, each coded by its nearest
    /// centroid (squared distance, ties to the lower centroid), packed byte j into bits 8·(j mod 4).
    /// </summary>
    [GpuKernel]
    public static void Quantize(ProductArgs a, ArrayView<float> x, int n, ArrayView<uint> codes)
    {
        int words = (a.Subspaces + 3) >> 2;
        long total = (long)n * words;
        for (long t = Threads.Global; t < total; t += Threads.Total)
        {
            int item = (int)(t / words);
            int first = (int)(t - (long)item * words) * 4;
            int count = a.Subspaces - first < 4 ? a.Subspaces - first : 4;
            uint packed = 0;
            for (int b = 0; b < count; b++)
            {
                int j = first + b;
                long xRow = (long)item * a.Dim + (long)j * a.Run;
                int best = 0;
                float bestDistance = 0f;
                for (int c = 0; c < K; c++)
                {
                    long centroid = ((long)j * K + c) * a.Run;
                    float distance = 0f;
                    for (int p = 0; p < a.Run; p++)
                    {
                        float diff = ExactMath.Sub(x[xRow + p], a.Centroids[centroid + p]);
                        distance = ExactMath.Add(distance, ExactMath.Mul(diff, diff));
                    }
                    if (c == 0 || distance < bestDistance)
                    {
                        best = c;
                        bestDistance = distance;
                    }
                }
                packed |= (uint)best << (b << 3);
            }
            codes[t] = packed;
        }
    }

    /// <summary>
    /// One thread per (query, subspace, centroid), grid-stride: tables[(query·M + j)·256 + c] = the query's run j
    /// dotted with centroid c of subspace j.
    /// </summary>
    [GpuKernel]
    public static void Tables(ProductArgs a, ArrayView<float> queries, int q, ArrayView<float> tables)
    {
        long total = (long)q * a.Subspaces * K;
        for (long t = Threads.Global; t < total; t += Threads.Total)
        {
            int c = (int)(t % K);
            long rest = t / K;
            int j = (int)(rest % a.Subspaces);
            int query = (int)(rest / a.Subspaces);
            long qRow = (long)query * a.Dim + (long)j * a.Run;
            long centroid = ((long)j * K + c) * a.Run;
            float acc = 0f;
            for (int p = 0; p < a.Run; p++)
                acc = ExactMath.Add(acc, ExactMath.Mul(queries[qRow + p], a.Centroids[centroid + p]));
            tables[t] = acc;
        }
    }

    /// <summary>
    /// One thread per support, grid-stride: ‖r‖ of its reconstruction, √(Σ_j Σ_t centroid(j, c_j)[t]²). Codes are
    /// word-major (word w of support s at w·N + s), as the scorer reads them.
    /// </summary>
    [GpuKernel]
    public static void Roots(ProductArgs a, ArrayView<uint> codesByWord, int n, ArrayView<float> roots)
    {
        for (int s = Threads.Global; s < n; s += Threads.Total)
        {
            float sum = 0f;
            for (int j = 0; j < a.Subspaces; j++)
            {
                int c = (int)((codesByWord[(long)(j >> 2) * n + s] >> ((j & 3) << 3)) & 0xFF);
                long centroid = ((long)j * K + c) * a.Run;
                float square = 0f;
                for (int p = 0; p < a.Run; p++)
                    square = ExactMath.Add(square, ExactMath.Mul(a.Centroids[centroid + p], a.Centroids[centroid + p]));
                sum = ExactMath.Add(sum, square);
            }
            roots[s] = ExactMath.Sqrt(sum);
        }
    }
}

/// <summary>
/// q·r/‖r‖ for a support's reconstruction r: M look-ups in the query's tables (<see cref="ProductCodeKernels.Tables"/>),
/// divided by the support's root (<see cref="ProductCodeKernels.Roots"/>); a zero root scores 0.
/// </summary>
internal readonly struct ProductCodeScorer(ArrayView<float> tables, ArrayView<uint> codesByWord, ArrayView<float> roots,
    int supports, int subspaces) : IPairScorer
{
    private readonly ArrayView<float> _tables = tables;           // Q × M × 256
    private readonly ArrayView<uint> _codesByWord = codesByWord;  // words × N
    private readonly ArrayView<float> _roots = roots;             // N
    private readonly int _supports = supports;
    private readonly int _subspaces = subspaces;

    public uint Key(int query, int support)
    {
        long table = (long)query * _subspaces * ProductCodes.Centroids;
        float sum = 0f;
        for (int j = 0; j < _subspaces; j++)
        {
            int c = (int)((_codesByWord[(long)(j >> 2) * _supports + support] >> ((j & 3) << 3)) & 0xFF);
            sum = ExactMath.Add(sum, _tables[table + (long)j * ProductCodes.Centroids + c]);
        }
        float root = _roots[support];
        return OrderedKeys.FromFloat(root == 0f ? 0f : ExactMath.Div(sum, root));
    }
}
