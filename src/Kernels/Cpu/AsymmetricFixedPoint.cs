using System.Runtime.CompilerServices;

namespace Lshk.Kernels.Cpu;

/// <summary>
/// The arithmetic of asymmetric scoring (<see cref="IAsymmetricIndex"/>), shared by both backends so they compute
/// the same integer score for every (query, support) pair: <see cref="CpuAsymmetricIndex"/> (fast scan + exact
/// re-rank) and <c>Gpu.AsymmetricKernels.WarpTopK</c> (tables in shared memory) both sum the nibble tables defined
/// here; the float64 reference is <c>ScalarReference.AsymmetricTopK</c> in the tests.
///
/// Why fixed point: a float sum of P terms rounds differently in every summation order, so two backends (or a fast
/// and an exact pass) could order near-ties differently. Each query's projections are instead scaled by a power of
/// two and rounded to 64-bit integers f_i with Σ|f_i| ≤ 2^<see cref="GridBits"/>; a score Σ ±f_i is then an exact
/// integer in any order (no partial sum can overflow), and it differs from the real Σ ±p_i by at most
/// P/2 grid steps, a grid step being at most Σ|p_i|·2^-(GridBits-1). Projections of at least 2^-36·Σ|p_i| land on
/// the grid exactly.
/// </summary>
internal static class AsymmetricFixedPoint
{
    /// <summary>Σ|f_i| stays below 2^GridBits, leaving 3 bits of a long for rounding and sign.</summary>
    public const int GridBits = 60;

    /// <summary>Planes per look-up table: one nibble of a code, so a table has 16 entries.</summary>
    public const int PlanesPerTable = 4;

    public const int TableEntries = 1 << PlanesPerTable;

    /// <summary>Tables for P planes when codes are read a byte at a time (two nibbles per byte, ⌈P/8⌉ bytes).</summary>
    public static int Tables(int planes) => 2 * Bytes(planes);

    /// <summary>Bytes of code per support: ⌈P/8⌉.</summary>
    public static int Bytes(int planes) => (planes + 7) / 8;

    /// <summary>
    /// One query's fixed-point projections: f_i = round(p_i · 2^shift), with shift the largest integer for which
    /// Σ|p_i| · 2^shift &lt; 2^GridBits (the scaling by a power of two is exact in double; the rounding is to nearest,
    /// ties to even). All-zero projections give shift 0. Returns the shift.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Scale(ReadOnlySpan<float> projections, Span<long> weights)
    {
        double total = 0;
        foreach (float v in projections) total += Math.Abs((double)v);
        if (total == 0)
        {
            weights.Clear();
            return 0;
        }
        // total < 2^(ILogB(total) + 1), so total · 2^shift < 2^GridBits. The factor 2^shift is a normal double
        // (|shift| stays below ~210 for float inputs), so each product is exact and only the rounding rounds.
        int shift = GridBits - (Math.ILogB(total) + 1);
        double factor = Math.ScaleB(1.0, shift);
        for (int i = 0; i < projections.Length; i++)
            weights[i] = (long)Math.Round(projections[i] * factor, MidpointRounding.ToEven);
        return shift;
    }

    /// <summary>The float returned for an exact fixed-point score: score · 2^-shift, rounded to float.</summary>
    public static float ToFloat(long score, int shift) => (float)Math.ScaleB((double)score, -shift);

    /// <summary>
    /// Both backends' result: q rows of k exact scores (best first, index −1 where a row ran out of supports) as
    /// floats, each row with its query's shift.
    /// </summary>
    public static TopK<float> ToTopK(long[] scores, int[] indices, int[] shifts, int q, int k)
    {
        var result = TopK.ForFloats(q, k);
        for (int r = 0; r < q; r++)
            for (int j = 0; j < k; j++)
            {
                int e = r * k + j;
                if (indices[e] < 0) break;
                result.Indices[e] = indices[e];
                result.Scores[e] = ToFloat(scores[e], shifts[r]);
            }
        return result;
    }

    /// <summary>
    /// All <see cref="Tables"/>(P) nibble tables, table t at [t·16, t·16 + 16): entry v of table t is Σ over the 4
    /// planes 4t + b (b = 0..3, only planes &lt; P) of +f if bit b of v is set, else −f. Planes past P contribute
    /// nothing, so tables past the last plane are all zero. Built incrementally (entry v = entry v without its lowest
    /// set bit b, plus 2·f_b): the same integers as the direct sum, which the GPU kernel computes per entry
    /// (<c>Gpu.AsymmetricKernels.BuildTables</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BuildTables(ReadOnlySpan<long> weights, int planes, Span<long> tables)
    {
        int count = Tables(planes);
        Span<long> f = stackalloc long[PlanesPerTable];
        for (int t = 0; t < count; t++)
        {
            long all = 0;
            for (int b = 0; b < PlanesPerTable; b++)
            {
                int plane = t * PlanesPerTable + b;
                f[b] = plane < planes ? weights[plane] : 0;
                all += f[b];
            }
            var table = tables.Slice(t * TableEntries, TableEntries);
            table[0] = -all;
            for (int v = 1; v < TableEntries; v++)
                table[v] = table[v & (v - 1)] + 2 * f[System.Numerics.BitOperations.TrailingZeroCount(v)];
        }
    }
}
