using System.Runtime.CompilerServices;

namespace Lshk.Kernels.Cpu;

/// <summary>
/// One query's look-up tables for <see cref="CpuAsymmetricIndex"/>: the exact 64-bit nibble tables of
/// <see cref="AsymmetricFixedPoint"/>, and the same tables quantised to bytes for the vpshufb fast scan.
///
/// Quantisation is integer and floor-based, so its error has a proven bound: q_t[v] = ⌊(L_t[v] − min_t) / D⌋ with
/// one divisor D (a power of two) for all T tables, hence L_t[v] = min_t + D·q_t[v] + r with 0 ≤ r ≤ D − 1, and a support whose
/// quantised sum is A has exact score X with ΣminT + D·A ≤ X ≤ ΣminT + D·A + T·(D − 1). A support can only enter
/// a top-k whose k-th exact score is X_k if X ≥ X_k + 1, so every support with A below
/// ⌈(X_k + 1 − ΣminT − T·(D − 1)) / D⌉ is skipped without changing the result (<see cref="Threshold"/>).
/// </summary>
internal sealed class AsymmetricQuery
{
    /// <summary>Largest quantised entry: two nibbles' entries (one byte of code) must sum within a byte.</summary>
    public const int MaxEntry = 127;

    /// <summary>The fast scan sums quantised entries in 16-bit lanes: T times the largest entry may not exceed this (so above 516 tables the largest entry drops below MaxEntry).</summary>
    public const int MaxSum = ushort.MaxValue;

    /// <summary>Bytes per quantised table: its 16 entries twice, once per 128-bit half of a Vector256 (vpshufb looks up within a half).</summary>
    public const int QuantisedStride = 2 * AsymmetricFixedPoint.TableEntries;

    private readonly long[] _weights;

    public AsymmetricQuery(int planes)
    {
        Planes = planes;
        TableCount = AsymmetricFixedPoint.Tables(planes);
        _weights = new long[planes];
        Exact = new long[TableCount * AsymmetricFixedPoint.TableEntries];
        Quantised = GC.AllocateUninitializedArray<byte>(TableCount * QuantisedStride, pinned: true);
        // The largest entry that keeps T entries' sum within 16 bits (at least 1; CanFastScan says whether it fits).
        _maxEntry = Math.Clamp(MaxSum / TableCount, 1, MaxEntry);
    }

    public int Planes { get; }
    public int TableCount { get; }

    /// <summary>Exact tables, table t at [t·16, t·16 + 16).</summary>
    public long[] Exact { get; }

    /// <summary>Quantised tables, table t at [t·32, t·32 + 32) (16 entries, repeated).</summary>
    public byte[] Quantised { get; }

    /// <summary>The fixed-point shift of the current query (see <see cref="AsymmetricFixedPoint.Scale"/>).</summary>
    public int Shift { get; private set; }

    /// <summary>Whether the quantised sum of every support fits 16 bits (T ≤ 65535, i.e. P below 262,140).</summary>
    public bool CanFastScan => (long)TableCount * _maxEntry <= MaxSum;

    private readonly int _maxEntry;   // largest quantised entry for this P
    private long _sumMin, _divisor;
    private int _divisorShift;   // D = 2^_divisorShift

    /// <summary>Builds both sets of tables for one query's P projections.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // runs once per query: no time to wait for tiering
    public void Load(ReadOnlySpan<float> projections)
    {
        Shift = AsymmetricFixedPoint.Scale(projections, _weights);
        AsymmetricFixedPoint.BuildTables(_weights, Planes, Exact);

        const int entries = AsymmetricFixedPoint.TableEntries;
        long maxRange = 0;
        _sumMin = 0;
        Span<long> mins = TableCount <= 1024 ? stackalloc long[TableCount] : new long[TableCount];
        for (int t = 0; t < TableCount; t++)
        {
            var table = Exact.AsSpan(t * entries, entries);
            long min = long.MaxValue, max = long.MinValue;
            foreach (long v in table)
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
            mins[t] = min;
            _sumMin += min;
            maxRange = Math.Max(maxRange, max - min);
        }
        // D is the smallest power of two with ⌊maxRange / D⌋ ≤ the largest entry, so the floor division of every
        // entry is a shift (at most twice the finest D, and far cheaper than 64-bit divisions).
        int shift = 0;
        while ((maxRange >> shift) > _maxEntry) shift++;
        _divisorShift = shift;
        _divisor = 1L << shift;
        for (int t = 0; t < TableCount; t++)
            for (int v = 0; v < entries; v++)
            {
                byte q = (byte)((Exact[t * entries + v] - mins[t]) >> shift);
                Quantised[t * QuantisedStride + v] = q;
                Quantised[t * QuantisedStride + entries + v] = q;
            }
    }

    /// <summary>
    /// The smallest quantised sum a support needs to possibly beat the exact k-th score <paramref name="kth"/>
    /// (long.MinValue while the list is not full: everything passes). Clamped to 16 bits: a too-high threshold
    /// clamped down only lets through supports the exact check then rejects.
    /// </summary>
    public ushort Threshold(long kth)
    {
        if (kth == long.MinValue) return 0;
        // Int128: T·(D − 1) can exceed a long when one table's range dominates.
        Int128 need = (Int128)kth + 1 - _sumMin - (Int128)TableCount * (_divisor - 1);
        if (need <= 0) return 0;
        Int128 a = (need + _divisor - 1) >> _divisorShift;   // ⌈need / D⌉ for need > 0
        return a >= MaxSum ? (ushort)MaxSum : (ushort)a;
    }

    /// <summary>
    /// Exact score of a code of ⌈P/8⌉ bytes read <paramref name="stride"/> bytes apart (low nibble of byte j → table
    /// 2j, high nibble → table 2j + 1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public unsafe long Score(byte* code, int stride)
    {
        const int entries = AsymmetricFixedPoint.TableEntries;
        long sum = 0;
        fixed (long* exact = Exact)
        {
            long* table = exact;
            for (int j = 0; j < TableCount; j += 2, code += stride, table += 2 * entries)
                sum += table[*code & 0xF] + table[entries + (*code >> 4)];
        }
        return sum;
    }
}
