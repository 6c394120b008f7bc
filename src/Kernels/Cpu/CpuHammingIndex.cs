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
/// Without AVX-512 the same layout is scanned with scalar popcount.
/// </summary>
internal sealed unsafe class CpuHammingIndex : IHammingIndex
{
    private const int Lanes = 8;
    private const int TileBytes = 256 * 1024;

    private readonly ulong[] _blocked;   // blocks × W64 × 8
    private readonly int _words64;       // 64-bit words per code
    private readonly int _blocks;

    public CpuHammingIndex(ReadOnlySpan<uint> codes, int n, int bits)
    {
        Check.NonNegative(n, nameof(n));
        Check.Positive(bits, nameof(bits));
        int words = Check.Words(bits);
        Check.Length(codes, (long)n * words, nameof(codes));
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

    /// <summary>Bytes of code per stored item.</summary>
    public int BytesPerItem => _words64 * 8;

    public TopK<int> Search(ReadOnlySpan<uint> queries, int q, int k)
    {
        Check.NonNegative(q, nameof(q));
        Check.Positive(k, nameof(k));
        int words = Check.Words(Bits);
        Check.Length(queries, (long)q * words, nameof(queries));
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
            // Split queries across threads; each thread scans every support.
            int chunk = Math.Max(1, Math.Min(64, (q + threads * 4 - 1) / (threads * 4)));
            int tasks = (q + chunk - 1) / chunk;
            Parallel.For(0, tasks, t =>
            {
                int first = t * chunk, last = Math.Min(q, first + chunk);
                var state = new State(last - first, k, Bits);
                ScanRange(qs, first, last, 0, _blocks, state);
                state.WriteTo(result, first);
            });
        }
        else
        {
            // Few queries, many supports: split the supports, then merge each query's partial lists in order.
            int parts = threads;
            var states = new State[parts];
            int per = (_blocks + parts - 1) / parts;
            Parallel.For(0, parts, part =>
            {
                int b0 = part * per, b1 = Math.Min(_blocks, b0 + per);
                states[part] = new State(q, k, Bits);
                if (b0 < b1) ScanRange(qs, 0, q, b0, b1, states[part]);
            });
            var merged = states[0];
            for (int part = 1; part < parts; part++) merged = merged.MergeWith(states[part]);
            merged.WriteTo(result, 0);
        }
        return result;
    }

    /// <summary>Scans support blocks [b0, b1) for queries [first, last), tile by tile.</summary>
    private void ScanRange(ulong[] qs, int first, int last, int b0, int b1, State state)
    {
        int tileBlocks = Math.Max(1, TileBytes / (_words64 * Lanes * 8));
        fixed (ulong* sup = _blocked)
        fixed (ulong* qp = qs)
        {
            for (int t0 = b0; t0 < b1; t0 += tileBlocks)
            {
                int t1 = Math.Min(b1, t0 + tileBlocks);
                for (int r = first; r < last; r++)
                {
                    if (Avx512BW.IsSupported) ScanTileAvx512(sup, qp + (long)r * _words64, t0, t1, state, r - first);
                    else ScanTileScalar(sup, qp + (long)r * _words64, t0, t1, state, r - first);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScanTileAvx512(ulong* sup, ulong* query, int b0, int b1, State state, int row)
    {
        int w64 = _words64;
        var nibbles = Vector512.Create((byte)0x0F);
        // Popcount of each nibble value 0..15, repeated in every 128-bit lane (vpshufb looks up within a lane).
        var table = Vector512.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
        int threshold = state.Worst(row);
        var limit = Vector512.Create((ulong)threshold);
        ulong* block = sup + (long)b0 * w64 * Lanes;
        for (int b = b0; b < b1; b++)
        {
            Vector512<byte> counts = Vector512<byte>.Zero;
            Vector512<ulong> dist = Vector512<ulong>.Zero;
            for (int j = 0; j < w64; j++, block += Lanes)
            {
                var x = (Vector512.Load(block) ^ Vector512.Create(query[j])).AsByte();
                var lo = x & nibbles;
                var hi = Avx512BW.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & nibbles;
                counts += Avx512BW.Shuffle(table, lo) + Avx512BW.Shuffle(table, hi);
                if ((j & 31) == 30)
                {
                    // A byte holds at most 8 per word: flush into 64-bit sums before 31 words can overflow it.
                    dist += Avx512BW.SumAbsoluteDifferences(counts, Vector512<byte>.Zero).AsUInt64();
                    counts = Vector512<byte>.Zero;
                }
            }
            dist += Avx512BW.SumAbsoluteDifferences(counts, Vector512<byte>.Zero).AsUInt64();
            ulong better = Vector512.LessThan(dist, limit).ExtractMostSignificantBits();
            if (better != 0)
            {
                threshold = Offer(state, row, b, dist, better);
                limit = Vector512.Create((ulong)threshold);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int Offer(State state, int row, int block, Vector512<ulong> dist, ulong lanes)
    {
        while (lanes != 0)
        {
            int lane = BitOperations.TrailingZeroCount(lanes);
            lanes &= lanes - 1;
            int index = block * Lanes + lane;
            if (index >= Count) break;
            state.Offer(row, (int)dist.GetElement(lane), index);
        }
        return state.Worst(row);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScanTileScalar(ulong* sup, ulong* query, int b0, int b1, State state, int row)
    {
        int w64 = _words64;
        int threshold = state.Worst(row);
        int end = Math.Min(Count, b1 * Lanes);
        for (int s = b0 * Lanes; s < end; s++)
        {
            ulong* code = sup + ((long)(s / Lanes) * w64) * Lanes + s % Lanes;
            int h = 0;
            for (int j = 0; j < w64; j++) h += BitOperations.PopCount(code[j * Lanes] ^ query[j]);
            if (h < threshold)
            {
                state.Offer(row, h, s);
                threshold = state.Worst(row);
            }
        }
    }

    public void Dispose()
    {
    }

    /// <summary>Per-query running top-k by distance (lower is better), candidates offered in increasing index order.</summary>
    private sealed class State
    {
        private readonly int _k, _bits;
        private readonly int[] _dist, _index, _filled;

        public State(int rows, int k, int bits)
        {
            _k = k;
            _bits = bits;
            _dist = new int[rows * k];
            _index = new int[rows * k];
            _filled = new int[rows];
        }

        /// <summary>Distance a candidate must beat (strictly) to enter: the k-th best, or bits + 1 while not full.</summary>
        public int Worst(int row) => _filled[row] < _k ? _bits + 1 : _dist[row * _k + _k - 1];

        public void Offer(int row, int distance, int index)
        {
            if (distance >= Worst(row)) return;
            int n = Math.Min(_filled[row] + 1, _k);
            _filled[row] = n;
            int pos = n - 1, baseIdx = row * _k;
            // Equal distances keep their order: the earlier (lower) index stays first.
            while (pos > 0 && _dist[baseIdx + pos - 1] > distance)
            {
                _dist[baseIdx + pos] = _dist[baseIdx + pos - 1];
                _index[baseIdx + pos] = _index[baseIdx + pos - 1];
                pos--;
            }
            _dist[baseIdx + pos] = distance;
            _index[baseIdx + pos] = index;
        }

        /// <summary>Merges with a state that saw only higher support indices.</summary>
        public State MergeWith(State later)
        {
            var merged = new State(_filled.Length, _k, _bits);
            for (int row = 0; row < _filled.Length; row++)
            {
                for (int i = 0; i < _filled[row]; i++) merged.Offer(row, _dist[row * _k + i], _index[row * _k + i]);
                for (int i = 0; i < later._filled[row]; i++)
                    merged.Offer(row, later._dist[row * _k + i], later._index[row * _k + i]);
            }
            return merged;
        }

        public void WriteTo(TopK<int> result, int firstRow)
        {
            for (int row = 0; row < _filled.Length; row++)
            {
                var scores = result.ScoreRow(firstRow + row);
                var indices = result.IndexRow(firstRow + row);
                for (int i = 0; i < _filled[row]; i++)
                {
                    scores[i] = _bits - _dist[row * _k + i];
                    indices[i] = _index[row * _k + i];
                }
            }
        }
    }
}
