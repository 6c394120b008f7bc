using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lshk.Kernels.Cpu;

/// <summary>
/// Hamming search on the CPU. The support codes are re-laid out in blocks of 8 codes, word-major inside a
/// block (block b, 64-bit word j, lane l at [(b·W64 + j)·8 + l]), so one Vector512 holds word j of 8 supports.
/// Distances for 8 supports come from XOR + a nibble-table popcount (vpshufb) + a byte sum (vpsadbw);
/// only lanes that beat a query's current k-th best leave the vector path. Supports are scanned in tiles that
/// fit in L2 while a group of queries reuses each tile, so the scan runs from cache, not from memory.
/// Without AVX-512 the same layout is scanned with scalar popcount, four queries at a time
/// (<see cref="ScanTilePopCount"/>, in CpuHammingIndex.PopCount.cs).
/// </summary>
internal sealed unsafe partial class CpuHammingIndex : IHammingIndex
{
    private const int Lanes = 8;
    private const int TileBytes = 256 * 1024;

    private readonly ulong[] _blocked;   // blocks × W64 × 8
    private readonly int _words64;       // 64-bit words per code
    private readonly int _blocks;

    public CpuHammingIndex(ReadOnlySpan<uint> codes, int n, int bits)
    {
        int words = BackendChecks.HammingIndex(codes, n, bits);
        Count = n;
        Bits = bits;
        _words64 = (words + 1) / 2;
        _blocks = (n + Lanes - 1) / Lanes;
        _blocked = GC.AllocateUninitializedArray<ulong>(_blocks * _words64 * Lanes, pinned: true);
        Array.Clear(_blocked);
        for (int s = 0; s < n; s++)
        {
            var code = codes.Slice(s * words, words);
            int b = s / Lanes, lane = s % Lanes;
            for (int j = 0; j < words; j++)
            {
                ref ulong slot = ref _blocked[(b * _words64 + j / 2) * Lanes + lane];
                slot |= (ulong)code[j] << (32 * (j & 1));
            }
        }
    }

    public int Count { get; }
    public int Bits { get; }

    /// <summary>Whether searches take the AVX-512 path (tests turn it off to check the portable scalar path).</summary>
    internal bool UseAvx512 { get; set; } = Avx512BW.IsSupported;

    /// <summary>Bytes of code per stored item.</summary>
    public int BytesPerItem => _words64 * 8;

    public TopK<int> Search(ReadOnlySpan<uint> queries, int q, int k)
    {
        int words = Check.Words(Bits);
        BackendChecks.Search(queries, q, words, k);
        var result = TopK.ForCounts(q, k);
        if (q == 0 || Count == 0) return result;

        // Queries widened to 64-bit words (an odd last word is padded with 0, like the supports).
        var qs = new ulong[q * _words64];
        for (int r = 0; r < q; r++)
            for (int j = 0; j < words; j++)
                qs[r * _words64 + j / 2] |= (ulong)queries[r * words + j] << (32 * (j & 1));

        int threads = Environment.ProcessorCount;
        if (q >= 2 * threads || _blocks < 4 * threads)
        {
            // Split queries across threads; each task scans every support once for its queries, so few, large
            // tasks (two per thread, for balance) stream the support set from memory as rarely as possible.
            int chunk = Math.Max(1, (q + threads * 2 - 1) / (threads * 2));
            int tasks = (q + chunk - 1) / chunk;
            Parallel.For(0, tasks, t =>
            {
                int first = t * chunk, last = Math.Min(q, first + chunk);
                var state = RunningTopK.ForCounts(last - first, k);
                ScanRange(qs, first, last, 0, _blocks, state);
                state.WriteTo(result, first, q);
            });
        }
        else
        {
            // Few queries, many supports: split the supports, then merge each query's partial lists in order.
            int parts = threads;
            var states = new RunningTopK<int>[parts];
            int per = (_blocks + parts - 1) / parts;
            Parallel.For(0, parts, part =>
            {
                int b0 = part * per, b1 = Math.Min(_blocks, b0 + per);
                states[part] = RunningTopK.ForCounts(q, k);
                if (b0 < b1) ScanRange(qs, 0, q, b0, b1, states[part]);
            });
            var merged = states[0];
            for (int part = 1; part < parts; part++) merged = merged.MergeWith(states[part]);
            merged.WriteTo(result, 0, q);
        }
        return result;
    }

    /// <summary>Scans support blocks [b0, b1) for queries [first, last), tile by tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScanRange(ulong[] qs, int first, int last, int b0, int b1, RunningTopK<int> state)
    {
        int tileBlocks = Math.Max(1, TileBytes / (_words64 * Lanes * 8));
        fixed (ulong* sup = _blocked)
        fixed (ulong* qp = qs)
        {
            for (int t0 = b0; t0 < b1; t0 += tileBlocks)
            {
                int t1 = Math.Min(b1, t0 + tileBlocks);
                if (UseAvx512)
                {
                    for (int r = first; r < last; r++)
                        ScanTileAvx512(sup, qp + (long)r * _words64, t0, t1, state, r - first);
                }
                else
                {
                    ScanTilePopCount(sup, qp, first, last, t0, t1, state);
                }
            }
        }
    }

    private const int Chunk = 64;   // blocks whose distances are computed before any top-k update

    /// <summary>
    /// Two phases per chunk of 64 blocks: a call-free vector loop computes and stores the 8 distances of every
    /// block, keeping their running minimum; only when that minimum beats the query's current k-th best are the
    /// chunk's supports offered to the top-k. After the first chunks that is rare.
    /// </summary>
    [SkipLocalsInit, MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScanTileAvx512(ulong* sup, ulong* query, int b0, int b1, RunningTopK<int> state, int row)
    {
        int w64 = _words64;
        ulong* dist = stackalloc ulong[Chunk * Lanes];
        for (int c0 = b0; c0 < b1; c0 += Chunk)
        {
            int count = Math.Min(Chunk, b1 - c0);
            ulong* block = sup + (long)c0 * w64 * Lanes;
            var min = w64 switch
            {
                1 => Distances1(block, count, query[0], dist),
                4 => Distances4(block, count, query, dist),
                _ => DistancesAny(block, count, query, w64, dist),
            };
            if (Vector512.LessThanAny(min, Vector512.Create((ulong)DistanceToBeat(state, row))))
                OfferChunk(state, row, c0, count, dist);
        }
    }

    /// <summary>
    /// Offers the supports of a chunk whose distances beat the query's threshold, in index order. Whole blocks
    /// are compared at once, so only the lanes below the threshold take the scalar path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OfferChunk(RunningTopK<int> state, int row, int c0, int count, ulong* dist)
    {
        ulong limit = (ulong)DistanceToBeat(state, row);
        for (int b = 0; b < count; b++)
        {
            ulong lanes = Vector512.LessThan(Vector512.Load(dist + b * Lanes), Vector512.Create(limit)).ExtractMostSignificantBits();
            while (lanes != 0)
            {
                int lane = BitOperations.TrailingZeroCount(lanes);
                lanes &= lanes - 1;
                int index = (c0 + b) * Lanes + lane;
                ulong d = dist[b * Lanes + lane];
                if (index >= Count || d >= limit) continue;
                state.Offer(row, Bits - (int)d, index);
                limit = (ulong)DistanceToBeat(state, row);
            }
        }
    }

    /// <summary>
    /// Per-byte popcount of a 512-bit vector. With AVX-512 VBMI and GFNI: one 128-entry table look-up of the
    /// low 7 bits (vpermi2b ignores bit 7 of the index) plus bit 7 itself, moved to bit 0 by a GF(2) affine
    /// transform (gf2p8affineqb with the matrix row for output bit 0 selecting input bit 7). Otherwise two
    /// 16-entry nibble look-ups (vpshufb).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> PopCountBytes(Vector512<byte> x)
    {
        if (Avx512Vbmi.IsSupported && Gfni.V512.IsSupported)
        {
            // Popcounts of 0..63 and of 64..127: the two halves of the 128-entry table (literals, so the JIT
            // keeps them as constants).
            var low = Avx512Vbmi.PermuteVar64x8x2(
                Vector512.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 1, 2, 2, 3, 2, 3, 3, 4, 2, 3, 3, 4, 3, 4, 4, 5,
                1, 2, 2, 3, 2, 3, 3, 4, 2, 3, 3, 4, 3, 4, 4, 5, 2, 3, 3, 4, 3, 4, 4, 5, 3, 4, 4, 5, 4, 5, 5, 6),
                x,
                Vector512.Create((byte)1, 2, 2, 3, 2, 3, 3, 4, 2, 3, 3, 4, 3, 4, 4, 5, 2, 3, 3, 4, 3, 4, 4, 5, 3, 4, 4, 5, 4, 5, 5, 6,
                2, 3, 3, 4, 3, 4, 4, 5, 3, 4, 4, 5, 4, 5, 5, 6, 3, 4, 4, 5, 4, 5, 5, 6, 4, 5, 5, 6, 5, 6, 6, 7));
            var top = Gfni.V512.GaloisFieldAffineTransform(x, Vector512.Create(0x8000000000000000UL).AsByte(), 0);
            return low + top;
        }
        var nibbles = Vector512.Create((byte)0x0F);
        // Popcount of each nibble value 0..15, repeated in every 128-bit lane (vpshufb looks up within a lane).
        var table = Vector512.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
        var lo = x & nibbles;
        var hi = Avx512BW.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & nibbles;
        return Avx512BW.Shuffle(table, lo) + Avx512BW.Shuffle(table, hi);
    }

    /// <summary>Sums each 8-byte group of byte counts into its 64-bit lane (vpsadbw against zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> SumBytes(Vector512<byte> counts) =>
        Avx512BW.SumAbsoluteDifferences(counts, Vector512<byte>.Zero).AsUInt64();

    /// <summary>
    /// Codes of one 64-bit word (P ≤ 64): stores the distances of count blocks and returns their lane-wise
    /// minimum, so the caller learns with one compare whether any support of the chunk can enter the top-k.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector512<ulong> Distances1(ulong* block, int count, ulong query, ulong* dist)
    {
        var q = Vector512.Create(query);
        Vector512<ulong> min0 = Vector512<ulong>.AllBitsSet, min1 = Vector512<ulong>.AllBitsSet;
        int b = 0;
        for (; b + 2 <= count; b += 2, block += 2 * Lanes)
        {
            var d0 = SumBytes(PopCountBytes((Vector512.Load(block) ^ q).AsByte()));
            var d1 = SumBytes(PopCountBytes((Vector512.Load(block + Lanes) ^ q).AsByte()));
            d0.Store(dist + b * Lanes);
            d1.Store(dist + (b + 1) * Lanes);
            min0 = Vector512.Min(min0, d0);
            min1 = Vector512.Min(min1, d1);
        }
        if (b < count)
        {
            var d0 = SumBytes(PopCountBytes((Vector512.Load(block) ^ q).AsByte()));
            d0.Store(dist + b * Lanes);
            min0 = Vector512.Min(min0, d0);
        }
        return Vector512.Min(min0, min1);
    }

    /// <summary>Codes of four 64-bit words (P ≤ 256), as <see cref="Distances1"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector512<ulong> Distances4(ulong* block, int count, ulong* query, ulong* dist)
    {
        Vector512<ulong> q0 = Vector512.Create(query[0]), q1 = Vector512.Create(query[1]),
            q2 = Vector512.Create(query[2]), q3 = Vector512.Create(query[3]);
        var min = Vector512<ulong>.AllBitsSet;
        for (int b = 0; b < count; b++, block += 4 * Lanes)
        {
            var counts = PopCountBytes((Vector512.Load(block) ^ q0).AsByte())
                + PopCountBytes((Vector512.Load(block + Lanes) ^ q1).AsByte())
                + PopCountBytes((Vector512.Load(block + 2 * Lanes) ^ q2).AsByte())
                + PopCountBytes((Vector512.Load(block + 3 * Lanes) ^ q3).AsByte());
            var d = SumBytes(counts);
            d.Store(dist + b * Lanes);
            min = Vector512.Min(min, d);
        }
        return min;
    }

    /// <summary>Any number of 64-bit words, as <see cref="Distances1"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector512<ulong> DistancesAny(ulong* block, int count, ulong* query, int w64, ulong* dist)
    {
        var min = Vector512<ulong>.AllBitsSet;
        for (int b = 0; b < count; b++)
        {
            Vector512<byte> counts = Vector512<byte>.Zero;
            Vector512<ulong> d = Vector512<ulong>.Zero;
            for (int j = 0; j < w64; j++, block += Lanes)
            {
                counts += PopCountBytes((Vector512.Load(block) ^ Vector512.Create(query[j])).AsByte());
                if ((j & 31) == 30)
                {
                    // A byte holds at most 8 per word: flush into 64-bit sums before 32 words can overflow it.
                    d += SumBytes(counts);
                    counts = Vector512<byte>.Zero;
                }
            }
            d += SumBytes(counts);
            d.Store(dist + b * Lanes);
            min = Vector512.Min(min, d);
        }
        return min;
    }

    /// <summary>
    /// The distance a support must be below to enter a query's list: the list holds XNOR counts, so this is Bits minus
    /// its k-th best count (Bits + 1 while the list is not full, as its padding count is −1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int DistanceToBeat(RunningTopK<int> state, int row) => Bits - state.Worst(row);

    public void Dispose()
    {
    }
}
