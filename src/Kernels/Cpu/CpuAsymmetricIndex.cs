using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lshk.Kernels.Cpu;

/// <summary>
/// Asymmetric search on the CPU (<see cref="IAsymmetricIndex"/>; the GPU form is <c>Gpu.AsymmetricKernels.WarpTopK</c>,
/// the float64 reference <c>ScalarReference.AsymmetricTopK</c> in the tests).
///
/// A fast scan in the style of product quantisation's 4-bit "fast scan": supports are re-laid out in blocks of 32,
/// byte-major inside a block (byte j of the 32 supports of block b at [(b·⌈P/8⌉ + j)·32, +32)), so one Vector256 holds
/// byte j of 32 supports. Each byte is split into two nibbles that index the query's two 16-entry byte tables
/// with vpshufb (<see cref="AsymmetricQuery.Quantised"/>), and the 32 byte sums are accumulated in 16-bit lanes. Only
/// supports whose quantised sum reaches <see cref="AsymmetricQuery.Threshold"/> (a proven bound against the current
/// exact k-th score) are scored exactly with 64-bit tables and offered to the top-k, so the result is exactly the
/// result of exact scoring, equal bit for bit to the GPU kernel's. Without AVX2 every support is scored exactly.
/// </summary>
internal sealed unsafe class CpuAsymmetricIndex : IAsymmetricIndex
{
    private const int Lanes = 32;   // supports per block: one byte each in a Vector256<byte>

    /// <summary>Support bytes scanned by a group of queries before moving on: fits L2 next to the group's tables.</summary>
    private const int TileBytes = 256 * 1024;

    /// <summary>Queries whose tables are loaded together (8 × 40 KiB of tables at P = 1000).</summary>
    private const int QueryGroup = 8;

    private readonly byte[] _blocked;   // blocks × bytes × 32
    private readonly int _bytes;        // ⌈P/8⌉ code bytes per support
    private readonly int _blocks;

    public CpuAsymmetricIndex(ReadOnlySpan<uint> codes, int n, int bits)
    {
        int words = BackendChecks.AsymmetricIndex(codes, n, bits);
        Count = n;
        Bits = bits;
        _bytes = AsymmetricFixedPoint.Bytes(bits);
        _blocks = (n + Lanes - 1) / Lanes;
        long size = (long)_blocks * _bytes * Lanes;
        if (size > Array.MaxLength)
            throw new ArgumentException($"{n} codes of {bits} bits need {size} bytes, more than one array holds", nameof(codes));
        _blocked = GC.AllocateArray<byte>((int)Math.Max(1, size), pinned: true);
        for (int s = 0; s < n; s++)
        {
            int b = s / Lanes, lane = s % Lanes;
            for (int j = 0; j < _bytes; j++)
                // Byte j of a code is byte j % 4 of word j / 4 (codes are little-endian bit strings).
                _blocked[(b * _bytes + j) * Lanes + lane] = (byte)(codes[s * words + j / 4] >> (8 * (j % 4)));
        }
    }

    public int Count { get; }
    public int Bits { get; }

    /// <summary>Whether searches take the AVX2 fast scan (tests turn it off to check the exact-only path).</summary>
    internal bool UseAvx2 { get; set; } = Avx2.IsSupported;

    /// <summary>Threads a search splits its work over (tests set it to choose between the query and support split).</summary>
    internal int Threads { get; set; } = Environment.ProcessorCount;

    public TopK<float> Search(ReadOnlySpan<float> queryProjections, int q, int k)
    {
        BackendChecks.AsymmetricSearch(queryProjections, q, Bits, k);
        if (q == 0 || Count == 0) return TopK.ForFloats(q, k);

        float[] projections = queryProjections.ToArray();
        var scores = new long[(long)q * k];
        var indices = new int[(long)q * k];
        scores.AsSpan().Fill(long.MinValue);
        indices.AsSpan().Fill(-1);
        var shifts = new int[q];

        int threads = Threads;
        if (q >= 2 * threads || _blocks < 4 * threads)
        {
            // Split queries: each task scans every support for its queries (two tasks per thread, for balance).
            int chunk = Math.Max(1, (q + threads * 2 - 1) / (threads * 2));
            int tasks = (q + chunk - 1) / chunk;
            Parallel.For(0, tasks, t =>
                ScanQueries(projections, t * chunk, Math.Min(q, (t + 1) * chunk), 0, _blocks, scores, indices, k, shifts));
        }
        else
        {
            // Few queries, many supports: split the supports, then merge each query's lists in support order.
            int parts = threads, per = (_blocks + parts - 1) / parts;
            var partScores = new long[parts][];
            var partIndices = new int[parts][];
            Parallel.For(0, parts, part =>
            {
                int b0 = part * per, b1 = Math.Min(_blocks, b0 + per);
                var s = partScores[part] = new long[(long)q * k];
                var i = partIndices[part] = new int[(long)q * k];
                s.AsSpan().Fill(long.MinValue);
                i.AsSpan().Fill(-1);
                if (b0 < b1) ScanQueries(projections, 0, q, b0, b1, s, i, k, part == 0 ? shifts : null);
            });
            for (int part = 0; part < parts; part++)
            {
                // Merge fills only the entries it has; what it leaves stays padding.
                var merged = new long[(long)q * k];
                var mergedIdx = new int[(long)q * k];
                merged.AsSpan().Fill(long.MinValue);
                mergedIdx.AsSpan().Fill(-1);
                for (int r = 0; r < q; r++)
                {
                    var row = new Range(r * k, r * k + k);
                    RunningTopK.Merge<long>(scores.AsSpan(row), indices.AsSpan(row), partScores[part].AsSpan(row),
                        partIndices[part].AsSpan(row), merged.AsSpan(row), mergedIdx.AsSpan(row));
                }
                scores = merged;
                indices = mergedIdx;
            }
        }

        return AsymmetricFixedPoint.ToTopK(scores, indices, shifts, q, k);
    }

    /// <summary>
    /// Scans blocks [b0, b1) for queries [r0, r1) into their rows of scores/indices, and records their fixed-point
    /// shifts when asked. Queries go in groups of <see cref="QueryGroup"/> whose tables stay loaded while the
    /// supports pass in tiles of <see cref="TileBytes"/>, so each tile is read from memory once per group and
    /// from L2 by the group's other queries.
    /// </summary>
    private void ScanQueries(float[] projections, int r0, int r1, int b0, int b1, long[] scores, int[] indices, int k,
        int[]? shifts)
    {
        int tileBlocks = Math.Max(1, TileBytes / (_bytes * Lanes));
        var group = new AsymmetricQuery[Math.Min(QueryGroup, r1 - r0)];
        for (int g = 0; g < group.Length; g++) group[g] = new AsymmetricQuery(Bits);
        for (int g0 = r0; g0 < r1; g0 += QueryGroup)
        {
            int g1 = Math.Min(r1, g0 + QueryGroup);
            for (int r = g0; r < g1; r++)
            {
                group[r - g0].Load(projections.AsSpan(r * Bits, Bits));
                if (shifts is not null) shifts[r] = group[r - g0].Shift;
            }
            for (int t0 = b0; t0 < b1; t0 += tileBlocks)
            {
                int t1 = Math.Min(b1, t0 + tileBlocks);
                for (int r = g0; r < g1; r++)
                    Scan(group[r - g0], t0, t1, scores.AsSpan(r * k, k), indices.AsSpan(r * k, k));
            }
        }
    }

    /// <summary>Scans blocks [b0, b1) for one query into its running top-k (best first, long.MinValue/-1 padding).</summary>
    private void Scan(AsymmetricQuery query, int b0, int b1, Span<long> scores, Span<int> indices)
    {
        fixed (byte* blocked = _blocked)
        {
            if (UseAvx2 && query.CanFastScan) ScanAvx2(query, blocked, b0, b1, scores, indices);
            else ScanExact(query, blocked, b0, b1, scores, indices);
        }
    }

    /// <summary>Exact scoring of every support: the portable path, and the check of the fast scan's filter.</summary>
    private void ScanExact(AsymmetricQuery query, byte* blocked, int b0, int b1, Span<long> scores, Span<int> indices)
    {
        int k = scores.Length;
        int end = Math.Min(Count, b1 * Lanes);
        for (int s = b0 * Lanes; s < end; s++)
        {
            long score = query.Score(blocked + (long)(s / Lanes) * _bytes * Lanes + s % Lanes, Lanes);
            if (score > scores[k - 1]) RunningTopK.Insert(scores, indices, score, s);
        }
    }

    /// <summary>
    /// The fast scan: per block, the 16-bit quantised sums of its 32 supports (<see cref="Sums"/>), one compare against
    /// the threshold, and the exact score only for the lanes that pass. Blocks go in pairs that share each table load
    /// and give the core two independent chains of shuffles and adds.
    /// </summary>
    [SkipLocalsInit, MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScanAvx2(AsymmetricQuery query, byte* blocked, int b0, int b1, Span<long> scores, Span<int> indices)
    {
        int bytes = _bytes;
        long blockBytes = (long)bytes * Lanes;
        var filter = new Filter(query, scores, indices);
        fixed (byte* tables = query.Quantised)
        {
            int b = b0;
            for (; b + 2 <= b1; b += 2)
            {
                byte* first = blocked + b * blockBytes;
                var (even0, odd0, even1, odd1) = Sums2(first, first + blockBytes, tables, bytes);
                filter.Check(this, blocked, b, even0, odd0);
                filter.Check(this, blocked, b + 1, even1, odd1);
            }
            if (b < b1)
            {
                var (even, odd) = Sums(blocked + b * blockBytes, tables, bytes);
                filter.Check(this, blocked, b, even, odd);
            }
        }
    }

    /// <summary>
    /// Quantised sums of the 32 supports of one block: even supports (lane i = support 2i) and odd ones (2i + 1).
    /// Each 16-bit lane of a column's byte sums holds support 2i's sum in its low byte and 2i+1's in its high byte;
    /// low accumulates the lanes as they are (2i's sum + 256 · (2i+1)'s) and high the high bytes alone, so 2i's total
    /// is low − 256 · high, exact modulo 2^16, where it fits (T · entry ≤ 65535, see <see cref="AsymmetricQuery"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<ushort> Even, Vector256<ushort> Odd) Sums(byte* column, byte* table, int bytes)
    {
        Vector256<ushort> low = Vector256<ushort>.Zero, high = Vector256<ushort>.Zero;
        for (int j = 0; j < bytes; j++, column += Lanes, table += 2 * AsymmetricQuery.QuantisedStride)
        {
            var sum = ByteSums(Vector256.Load(column), Vector256.Load(table),
                Vector256.Load(table + AsymmetricQuery.QuantisedStride));
            low += sum.AsUInt16();
            high += Avx2.ShiftRightLogical(sum.AsUInt16(), 8);
        }
        return (low - Avx2.ShiftLeftLogical(high, 8), high);
    }

    /// <summary><see cref="Sums"/> of two blocks at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<ushort>, Vector256<ushort>, Vector256<ushort>, Vector256<ushort>) Sums2(byte* column0,
        byte* column1, byte* table, int bytes)
    {
        Vector256<ushort> low0 = Vector256<ushort>.Zero, high0 = Vector256<ushort>.Zero;
        Vector256<ushort> low1 = Vector256<ushort>.Zero, high1 = Vector256<ushort>.Zero;
        for (int j = 0; j < bytes; j++, column0 += Lanes, column1 += Lanes, table += 2 * AsymmetricQuery.QuantisedStride)
        {
            var lowTable = Vector256.Load(table);
            var highTable = Vector256.Load(table + AsymmetricQuery.QuantisedStride);
            var sum0 = ByteSums(Vector256.Load(column0), lowTable, highTable);
            var sum1 = ByteSums(Vector256.Load(column1), lowTable, highTable);
            low0 += sum0.AsUInt16();
            high0 += Avx2.ShiftRightLogical(sum0.AsUInt16(), 8);
            low1 += sum1.AsUInt16();
            high1 += Avx2.ShiftRightLogical(sum1.AsUInt16(), 8);
        }
        return (low0 - Avx2.ShiftLeftLogical(high0, 8), high0, low1 - Avx2.ShiftLeftLogical(high1, 8), high1);
    }

    /// <summary>Per support byte: low-nibble table entry + high-nibble table entry (vpshufb look-ups, ≤ 2·127).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> ByteSums(Vector256<byte> x, Vector256<byte> lowTable, Vector256<byte> highTable)
    {
        var nibble = Vector256.Create((byte)0x0F);
        var hi = Avx2.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & nibble;
        return Avx2.Shuffle(lowTable, x & nibble) + Avx2.Shuffle(highTable, hi);
    }

    /// <summary>One query's running top-k and the quantised threshold derived from its k-th exact score.</summary>
    private ref struct Filter(AsymmetricQuery query, Span<long> scores, Span<int> indices)
    {
        private readonly Span<long> _scores = scores;
        private readonly Span<int> _indices = indices;
        private long _kth = scores[^1];
        private Vector256<ushort> _threshold = Vector256.Create(query.Threshold(scores[^1]));

        /// <summary>Offers, in index order, the supports of block b whose quantised sums reach the threshold.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Check(CpuAsymmetricIndex index, byte* blocked, int b, Vector256<ushort> even, Vector256<ushort> odd)
        {
            // a ≥ t ⇔ max(a, t) = a (AVX2 has no unsigned 16-bit compare); even lanes' flags go to the low bytes.
            var passEven = Vector256.Equals(Avx2.Max(even, _threshold), even).AsByte();
            var passOdd = Vector256.Equals(Avx2.Max(odd, _threshold), odd).AsByte();
            var highBytes = Vector256.Create((ushort)0xFF00).AsByte();
            uint pass = (Vector256.AndNot(passEven, highBytes) | (passOdd & highBytes)).ExtractMostSignificantBits();
            if (pass != 0) Offer(index, blocked, b, pass);
        }

        private void Offer(CpuAsymmetricIndex index, byte* blocked, int b, uint pass)
        {
            while (pass != 0)
            {
                int lane = BitOperations.TrailingZeroCount(pass);
                pass &= pass - 1;
                int s = b * Lanes + lane;
                if (s >= index.Count) break;
                long score = query.Score(blocked + (long)b * index._bytes * Lanes + lane, Lanes);
                if (score <= _kth) continue;
                RunningTopK.Insert(_scores, _indices, score, s);
                _kth = _scores[^1];
                _threshold = Vector256.Create(query.Threshold(_kth));
            }
        }
    }

    public void Dispose()
    {
    }
}
