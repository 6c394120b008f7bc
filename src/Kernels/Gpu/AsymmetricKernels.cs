using ILGPU;
using Lshk.Kernels.Cpu;

namespace Lshk.Kernels.Gpu;

/// <summary>
/// One launch of the asymmetric top-k kernel: queries [QueryOffset, QueryOffset + Queries) against all supports.
/// Weights are the queries' fixed-point projections (<see cref="AsymmetricFixedPoint.Scale"/>), Q_total × P.
/// Supports are stored word-major like the Hamming index (word w of support s at w·N + s), so the lanes of a warp,
/// which score consecutive supports, read consecutive words. Scratch holds each lane's private sorted list as in
/// <see cref="TopKArgs"/> (slot j of lane l of local query w at (j·Queries + w)·32 + l), scores and indices apart
/// because a 64-bit score and an index do not fit one ulong. Results are Q_total × K, index -1 for padding. Each
/// query's supports may be cut into Splits ranges of SplitLength, one warp task each (task t: local query t / Splits,
/// range t % Splits; scratch slots by task); then the results are this launch's Tasks × K candidates, row = task,
/// which <see cref="AsymmetricKernels.MergePairs"/> reduces to each query's top k.
/// </summary>
internal readonly struct AsymmetricArgs(ArrayView<long> weights, ArrayView<uint> supportsByWord, int queries,
    int queryOffset, int supports, int planes, int k, int laneCapacity, ArrayView<long> scratchScores,
    ArrayView<int> scratchIndices, ArrayView<long> resultScores, ArrayView<int> resultIndices, int splits = 1,
    int splitLength = int.MaxValue)
{
    public readonly ArrayView<long> Weights = weights;
    public readonly ArrayView<uint> SupportsByWord = supportsByWord;
    public readonly int Queries = queries;
    public readonly int QueryOffset = queryOffset;
    public readonly int Supports = supports;
    public readonly int Planes = planes;
    public readonly int K = k;
    public readonly int LaneCapacity = laneCapacity;
    public readonly ArrayView<long> ScratchScores = scratchScores;
    public readonly ArrayView<int> ScratchIndices = scratchIndices;
    public readonly ArrayView<long> ResultScores = resultScores;
    public readonly ArrayView<int> ResultIndices = resultIndices;
    public readonly int Splits = splits;
    public readonly int SplitLength = splitLength;
}

/// <summary>
/// One launch of <see cref="AsymmetricKernels.MergePairs"/>: each local query's PerQuery candidates (scores and support
/// indices, row-major from CandidatesAt, index -1 = padding) cut into Splits ranges like <see cref="AsymmetricArgs"/>;
/// results by query (one split: rows QueryOffset + w) or by task (several: this launch's candidates for the next level).
/// </summary>
internal readonly record struct PairMergeArgs(int Queries, int QueryOffset, int PerQuery, int K, int LaneCapacity, int Splits,
    int SplitLength, ArrayView<long> CandidateScores, ArrayView<int> CandidateIndices, ArrayView<long> ScratchScores,
    ArrayView<int> ScratchIndices, ArrayView<long> ResultScores, ArrayView<int> ResultIndices);

/// <summary>
/// Asymmetric search on the GPU (the CPU form is <see cref="CpuAsymmetricIndex"/>, the float64 reference
/// <c>ScalarReference.AsymmetricTopK</c> in the tests). Exact 64-bit integer scores, so results equal the CPU's bit
/// for bit.
/// </summary>
internal static class AsymmetricKernels
{
    /// <summary>Warps per group the shared memory is sized for (<see cref="IlgpuBackend.ForWarps"/> uses 4 on CUDA, 2 elsewhere).</summary>
    public const int MaxWarpsPerGroup = 4;

    /// <summary>Code words whose tables are in shared memory at once: 256 planes, 64 nibble tables.</summary>
    public const int ChunkWords = 8;

    private const int NibblesPerWord = 32 / AsymmetricFixedPoint.PlanesPerTable;
    private const int ChunkTables = ChunkWords * NibblesPerWord;

    /// <summary>Longs of tables per warp: 64 tables × 16 entries = 8 KiB, so 4 warps use 32 KiB of shared memory.</summary>
    public const int WarpTableLongs = ChunkTables * AsymmetricFixedPoint.TableEntries;

    /// <summary>
    /// Supports each lane scores per pass over the tables. When P needs several chunks, the tables are rebuilt for
    /// every pass, so each build serves 4 supports per lane (128 per warp) to keep its cost small.
    /// </summary>
    public const int SupportsPerLane = 4;

    /// <summary>
    /// One warp per query (warp-stride over the launch's queries), as <see cref="TopKKernels.WarpTopK{TScorer}"/>.
    /// The warp builds the query's 16-entry nibble tables in its part of shared memory (entry v of table t =
    /// Σ ±f over planes 4t..4t+3, the integers of <see cref="AsymmetricFixedPoint.BuildTables"/>); a lane then scores a support
    /// with 8 look-ups per code word: 16 distinct consecutive entries per table, so a warp's look-ups hit distinct
    /// banks. P above 256 planes goes in chunks of 256 with the tables rebuilt per chunk.
    /// Phase 1: lane l scores supports l, l+32, ... (increasing) and keeps its best LaneCapacity in scratch.
    /// Phase 2: K rounds of a warp arg-max over the lane heads by (score desc, index asc), butterfly with ShuffleXor.
    /// </summary>
    [GpuKernel]
    public static void WarpTopK(AsymmetricArgs a)
    {
        var shared = SharedMemory.Allocate<long>(MaxWarpsPerGroup * WarpTableLongs);
        var tables = shared.SubView(Group.IdxX / Warp.WarpSize * WarpTableLongs, WarpTableLongs);
        int lane = Warp.LaneIdx;
        int words = (a.Planes + 31) >> 5;
        int chunks = (words + ChunkWords - 1) / ChunkWords;
        const int batch = SupportsPerLane * 32;
        int tasks = a.Queries * a.Splits;
        for (int t = Threads.GlobalWarp; t < tasks; t += Threads.TotalWarps)
        {
            int w = t / a.Splits;
            int query = a.QueryOffset + w;
            long from = (long)(t - w * a.Splits) * a.SplitLength, to = from + a.SplitLength;
            int begin = from < a.Supports ? (int)from : a.Supports;
            int end = to < a.Supports ? (int)to : a.Supports;
            long slot0 = (long)t * Warp.WarpSize + lane;
            long stride = (long)tasks * Warp.WarpSize;

            // Phase 1. Within a lane supports come in increasing order, so a later equal score never beats an entry.
            int count = 0;
            long floor = long.MinValue;   // scores are > long.MinValue (|score| < 2^61), so this admits all
            if (chunks == 1) BuildTables(a, tables, query, 0, lane);
            for (int first = begin; first < end; first += batch)
            {
                long s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (int c = 0; c < chunks; c++)
                {
                    if (chunks > 1) BuildTables(a, tables, query, c, lane);
                    int w0 = c * ChunkWords, w1 = words < w0 + ChunkWords ? words : w0 + ChunkWords;
                    s0 += ChunkScore(a, tables, first + lane, end, w0, w1);
                    s1 += ChunkScore(a, tables, first + 32 + lane, end, w0, w1);
                    s2 += ChunkScore(a, tables, first + 64 + lane, end, w0, w1);
                    s3 += ChunkScore(a, tables, first + 96 + lane, end, w0, w1);
                }
                if (first + lane < end) Offer(a.ScratchScores, a.ScratchIndices, a.LaneCapacity, s0, first + lane, slot0, stride, ref count, ref floor);
                if (first + 32 + lane < end) Offer(a.ScratchScores, a.ScratchIndices, a.LaneCapacity, s1, first + 32 + lane, slot0, stride, ref count, ref floor);
                if (first + 64 + lane < end) Offer(a.ScratchScores, a.ScratchIndices, a.LaneCapacity, s2, first + 64 + lane, slot0, stride, ref count, ref floor);
                if (first + 96 + lane < end) Offer(a.ScratchScores, a.ScratchIndices, a.LaneCapacity, s3, first + 96 + lane, slot0, stride, ref count, ref floor);
            }

            // Phase 2: merge the 32 lists, one winner per round.
            long row = (a.Splits == 1 ? (long)query : t) * a.K;
            MergeLanes(a.ScratchScores, a.ScratchIndices, slot0, stride, count, a.K, a.ResultScores, a.ResultIndices, row);
            // The next query rebuilds the tables: every lane must be done reading them.
            Warp.Barrier();
        }
    }

    /// <summary>
    /// Reduces candidates (score, support index) of a split search to each query's top k, or, with splits of its own,
    /// to fewer candidates for another level (a single query over 10^8 supports has ~8,400 ranges' candidates).
    /// Candidates of one query come range by range, each range's best first with equal scores in index order, so
    /// position order among equal scores is index order, as <see cref="WarpTopK"/>'s lanes need. Padding (index -1) is skipped.
    /// </summary>
    [GpuKernel]
    public static void MergePairs(PairMergeArgs a)
    {
        int lane = Warp.LaneIdx;
        int tasks = a.Queries * a.Splits;
        for (int t = Threads.GlobalWarp; t < tasks; t += Threads.TotalWarps)
        {
            int w = t / a.Splits;
            long from = (long)(t - w * a.Splits) * a.SplitLength, to = from + a.SplitLength;
            int begin = from < a.PerQuery ? (int)from : a.PerQuery;
            int end = to < a.PerQuery ? (int)to : a.PerQuery;
            long slot0 = (long)t * Warp.WarpSize + lane;
            long stride = (long)tasks * Warp.WarpSize;
            long at = (long)w * a.PerQuery;
            int count = 0;
            long floor = long.MinValue;
            for (int p = begin + lane; p < end; p += Warp.WarpSize)
            {
                int index = a.CandidateIndices[at + p];
                if (index >= 0)
                    Offer(a.ScratchScores, a.ScratchIndices, a.LaneCapacity, a.CandidateScores[at + p], index, slot0, stride, ref count, ref floor);
            }
            long row = (a.Splits == 1 ? (long)(a.QueryOffset + w) : t) * a.K;
            MergeLanes(a.ScratchScores, a.ScratchIndices, slot0, stride, count, a.K, a.ResultScores, a.ResultIndices, row);
        }
    }

    /// <summary>
    /// Phase 2 of both kernels: k rounds of a warp arg-max over the 32 lanes' list heads by (score desc, index asc),
    /// a butterfly with ShuffleXor; the owning lane advances its head, lane 0 writes the row; padded when every list ends.
    /// </summary>
    private static void MergeLanes(ArrayView<long> scratchScores, ArrayView<int> scratchIndices, long slot0, long stride,
        int count, int k, ArrayView<long> resultScores, ArrayView<int> resultIndices, long row)
    {
        int lane = Warp.LaneIdx;
        int head = 0;
        for (int r = 0; r < k; r++)
        {
            long bestScore = long.MinValue;
            int bestIndex = -1;
            if (head < count)
            {
                bestScore = scratchScores[slot0 + head * stride];
                bestIndex = scratchIndices[slot0 + head * stride];
            }
            int mine = bestIndex;
            for (int mask = Warp.WarpSize / 2; mask > 0; mask >>= 1)
            {
                long otherScore = Warp.ShuffleXor(bestScore, mask);
                int otherIndex = Warp.ShuffleXor(bestIndex, mask);
                if (otherIndex >= 0 && (bestIndex < 0 || otherScore > bestScore
                        || (otherScore == bestScore && otherIndex < bestIndex)))
                {
                    bestScore = otherScore;
                    bestIndex = otherIndex;
                }
            }
            if (bestIndex < 0)
            {
                // Every lane's list is exhausted (warp-uniform): pad the rest of the row.
                for (int u = r + lane; u < k; u += Warp.WarpSize)
                {
                    resultScores[row + u] = long.MinValue;
                    resultIndices[row + u] = -1;
                }
                return;
            }
            if (mine == bestIndex) head++;
            if (lane == 0)
            {
                resultScores[row + r] = bestScore;
                resultIndices[row + r] = bestIndex;
            }
        }
    }

    /// <summary>
    /// Writes the tables of chunk <paramref name="chunk"/> (planes 256·chunk ..) into this warp's shared memory, the
    /// lanes taking every 32nd entry. Barriers before (no lane still reads the previous tables) and after (every
    /// entry is written before any is read).
    /// </summary>
    private static void BuildTables(AsymmetricArgs a, ArrayView<long> tables, int query, int chunk, int lane)
    {
        Warp.Barrier();
        long weights = (long)query * a.Planes;
        for (int e = lane; e < WarpTableLongs; e += Warp.WarpSize)
        {
            int table = e / AsymmetricFixedPoint.TableEntries, value = e % AsymmetricFixedPoint.TableEntries;
            int plane0 = (chunk * ChunkTables + table) * AsymmetricFixedPoint.PlanesPerTable;
            long sum = 0;
            for (int b = 0; b < AsymmetricFixedPoint.PlanesPerTable; b++)
            {
                int plane = plane0 + b;
                if (plane >= a.Planes) break;
                long f = a.Weights[weights + plane];
                sum += ((value >> b) & 1) != 0 ? f : -f;
            }
            tables[e] = sum;
        }
        Warp.Barrier();
    }

    /// <summary>Σ of the tables of code words [w0, w1) for one support (0 past the end of its range).</summary>
    private static long ChunkScore(AsymmetricArgs a, ArrayView<long> tables, int support, int end, int w0, int w1)
    {
        if (support >= end) return 0;
        long sum = 0;
        int table = 0;
        for (int w = w0; w < w1; w++)
        {
            uint code = a.SupportsByWord[(long)w * a.Supports + support];
            for (int nibble = 0; nibble < NibblesPerWord; nibble++, table++, code >>= AsymmetricFixedPoint.PlanesPerTable)
                sum += tables[table * AsymmetricFixedPoint.TableEntries + (int)(code & 0xF)];
        }
        return sum;
    }

    /// <summary>Inserts (score, support) into this lane's sorted list if it beats the list's last entry.</summary>
    private static void Offer(ArrayView<long> scratchScores, ArrayView<int> scratchIndices, int cap, long score, int support,
        long slot0, long stride, ref int count, ref long floor)
    {
        if (score <= floor) return;
        int pos = count < cap ? count : cap - 1;
        while (pos > 0)
        {
            long above = scratchScores[slot0 + (pos - 1) * stride];
            if (above >= score) break;
            scratchScores[slot0 + pos * stride] = above;
            scratchIndices[slot0 + pos * stride] = scratchIndices[slot0 + (pos - 1) * stride];
            pos--;
        }
        scratchScores[slot0 + pos * stride] = score;
        scratchIndices[slot0 + pos * stride] = support;
        if (count < cap) count++;
        if (count == cap) floor = scratchScores[slot0 + (cap - 1) * stride];
    }
}
