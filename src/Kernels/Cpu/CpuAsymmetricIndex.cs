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

    private readonly byte[] _blocked;   // blocks × bytes × 32
    private readonly int _bytes;        // ⌈P/8⌉ code bytes per support
    private readonly int _blocks;

    public CpuAsymmetricIndex(ReadOnlySpan<uint> codes, int n, int bits)
    {
        Check.NonNegative(n, nameof(n));
        Check.Positive(bits, nameof(bits));
        int words = Check.Words(bits);
        Check.Length(codes, (long)n * words, nameof(codes));
        Count = n;
        Bits = bits;
        _bytes = AsymmetricFixedPoint.Bytes(bits);
        _blocks = (n + Lanes - 1) / Lanes;
        _blocked = GC.AllocateArray<byte>(Math.Max(1, _blocks * _bytes * Lanes), pinned: true);
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
        Check.NonNegative(q, nameof(q));
        Check.Positive(k, nameof(k));
        Check.Length(queryProjections, (long)q * Bits, nameof(queryProjections));
        Check.Finite(queryProjections, Bits, nameof(queryProjections));
        var result = TopK.ForFloats(q, k);
        if (q == 0 || Count == 0) return result;

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
            {
                var query = new AsymmetricQuery(Bits);
                for (int r = t * chunk; r < Math.Min(q, (t + 1) * chunk); r++)
                {
                    query.Load(projections.AsSpan(r * Bits, Bits));
                    shifts[r] = query.Shift;
                    Scan(query, 0, _blocks, scores.AsSpan(r * k, k), indices.AsSpan(r * k, k));
                }
            });
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
                var query = new AsymmetricQuery(Bits);
                for (int r = 0; r < q && b0 < b1; r++)
                {
                    query.Load(projections.AsSpan(r * Bits, Bits));
                    if (part == 0) shifts[r] = query.Shift;
                    Scan(query, b0, b1, s.AsSpan(r * k, k), i.AsSpan(r * k, k));
                }
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
                    TopKList.Merge<long>(scores.AsSpan(row), indices.AsSpan(row), partScores[part].AsSpan(row),
                        partIndices[part].AsSpan(row), merged.AsSpan(row), mergedIdx.AsSpan(row));
                }
                scores = merged;
                indices = mergedIdx;
            }
        }

        for (int r = 0; r < q; r++)
            for (int j = 0; j < k; j++)
            {
                int e = r * k + j;
                if (indices[e] < 0) break;
                result.Indices[e] = indices[e];
                result.Scores[e] = AsymmetricFixedPoint.ToFloat(scores[e], shifts[r]);
            }
        return result;
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
            if (score > scores[k - 1]) TopKList.Insert(scores, indices, score, s);
        }
    }

    /// <summary>
    /// The fast scan: per block, the 16-bit quantised sums of its 32 supports (even supports in the low bytes' sums,
    /// odd in the high bytes', see below), one compare against the threshold, and the exact score only for the
    /// lanes that pass.
    /// </summary>
    [SkipLocalsInit, MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScanAvx2(AsymmetricQuery query, byte* blocked, int b0, int b1, Span<long> scores, Span<int> indices)
    {
        int k = scores.Length, bytes = _bytes;
        long kth = scores[k - 1];
        var threshold = Vector256.Create(query.Threshold(kth));
        var nibble = Vector256.Create((byte)0x0F);
        var highBytes = Vector256.Create((ushort)0xFF00).AsByte();
        fixed (byte* tables = query.Quantised)
        {
            for (int b = b0; b < b1; b++)
            {
                byte* column = blocked + (long)b * bytes * Lanes;
                byte* table = tables;
                // Each 16-bit lane of the byte sums holds support 2i's sum in its low byte and support 2i+1's in its
                // high byte. low accumulates the lanes as they are (2i's sum + 256 · (2i+1)'s) and high the high
                // bytes alone; then 2i's total = low − 256 · high, exact modulo 2^16, where it fits (T·127 ≤ 65535).
                Vector256<ushort> low = Vector256<ushort>.Zero, high = Vector256<ushort>.Zero;
                for (int j = 0; j < bytes; j++, column += Lanes, table += 2 * AsymmetricQuery.QuantisedStride)
                {
                    var x = Vector256.Load(column);
                    var lo = x & nibble;
                    var hi = Avx2.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & nibble;
                    var sum = Avx2.Shuffle(Vector256.Load(table), lo)
                        + Avx2.Shuffle(Vector256.Load(table + AsymmetricQuery.QuantisedStride), hi);
                    low += sum.AsUInt16();
                    high += Avx2.ShiftRightLogical(sum.AsUInt16(), 8);
                }
                var even = low - Avx2.ShiftLeftLogical(high, 8);
                // a ≥ t ⇔ max(a, t) = a (AVX2 has no unsigned 16-bit compare).
                var passEven = Vector256.Equals(Avx2.Max(even, threshold), even).AsByte();
                var passOdd = Vector256.Equals(Avx2.Max(high, threshold), high).AsByte();
                uint pass = (Vector256.AndNot(passEven, highBytes) | (passOdd & highBytes)).ExtractMostSignificantBits();
                while (pass != 0)
                {
                    int lane = BitOperations.TrailingZeroCount(pass);
                    pass &= pass - 1;
                    int s = b * Lanes + lane;
                    if (s >= Count) break;
                    long score = query.Score(blocked + (long)b * bytes * Lanes + lane, Lanes);
                    if (score <= kth) continue;
                    TopKList.Insert(scores, indices, score, s);
                    kth = scores[k - 1];
                    threshold = Vector256.Create(query.Threshold(kth));
                }
            }
        }
    }

    public void Dispose()
    {
    }
}
