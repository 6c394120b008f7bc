using ILGPU;

namespace Lshk.Kernels.Gpu;

/// <summary>Scores a (query, support) pair as an ordered key (see <see cref="OrderedKeys"/>).</summary>
internal interface IPairScorer
{
    uint Key(int query, int support);
}

/// <summary>
/// One launch of the warp top-k kernel: queries [QueryOffset, QueryOffset + Queries) against all supports, each
/// query's supports cut into Splits contiguous ranges of SplitLength (the last one shorter), one warp per
/// (query, range) task: task t is local query t / Splits, range t % Splits.
/// Scratch holds each lane's private sorted list: LaneCapacity slots per lane, slot j of lane l of task t at
/// (j * Tasks + t) * 32 + l, so the 32 lanes of a warp touch 32 consecutive entries (coalesced).
/// With one split, Result is Q_total × K entries (row = the query); with several, it is this launch's Tasks × K
/// candidate entries (row = the task), which <see cref="TopKKernels.RemapMerged"/> turns into each query's top k after a
/// merge launch over them (0 = padding).
/// </summary>
internal readonly record struct TopKArgs(int Queries, int QueryOffset, int Supports, int K, int LaneCapacity, uint MissingKey,
    ArrayView<ulong> Scratch, ArrayView<ulong> Result, int Splits = 1, int SplitLength = int.MaxValue)
{
    public int Tasks => Queries * Splits;
}

/// <summary>
/// A split launch's candidates scored again for the merge launch: support "index" p of query q is candidate p of q's
/// Splits × K candidates (range-major, each range's best first). Its key is the candidate's key, so the merge keeps the
/// best K; equal keys keep position order, which is support order (ranges are increasing and each range's candidates
/// are in index order among equal keys), the same (score desc, index asc) order as one unsplit scan.
/// </summary>
internal readonly struct CandidateScorer(ArrayView<ulong> candidates, int perQuery, int queryOffset) : IPairScorer
{
    private readonly ArrayView<ulong> _candidates = candidates; // this launch's Tasks × K entries
    private readonly int _perQuery = perQuery;                   // Splits × K
    private readonly int _queryOffset = queryOffset;

    public uint Key(int query, int support) =>
        OrderedKeys.EntryKey(_candidates[(long)(query - _queryOffset) * _perQuery + support]);
}

/// <summary>Arguments of <see cref="TopKKernels.RemapMerged"/>: the merge's entries index candidates; put the candidates back.</summary>
internal readonly record struct RemapArgs(int Queries, int QueryOffset, int K, int PerQuery, ArrayView<ulong> Candidates,
    ArrayView<ulong> Result);

/// <summary>Warp-per-query top-k search, shared by the Hamming, cosine and sigmoid matchers.</summary>
internal static class TopKKernels
{
    /// <summary>
    /// One warp per (query, support range) task (warp-stride over the launch's tasks).
    /// Phase 1: lane l scores the range's supports l, l+32, l+64, ... (increasing) and keeps its best LaneCapacity
    /// entries sorted in scratch; a candidate enters only if its key beats the missing-score key, like the CPU's threshold.
    /// Phase 2: k rounds of a warp arg-max over the 32 lane heads (butterfly with ShuffleXor: after 5 steps every lane
    /// holds the best head); the owning lane advances its head, lane 0 writes the entry. Entries are unique (distinct
    /// indices), so exactly one lane owns the winner. When every list is exhausted the rest of the row is padded.
    /// A single query cannot fill a GPU with one warp; ranges give it thousands (IlgpuBackend.RunTopK picks them).
    /// </summary>
    [GpuKernel]
    public static void WarpTopK<TScorer>(TScorer scorer, TopKArgs a) where TScorer : struct, IPairScorer
    {
        int lane = Warp.LaneIdx;
        int cap = a.LaneCapacity;
        int tasks = a.Tasks;
        for (int t = Threads.GlobalWarp; t < tasks; t += Threads.TotalWarps)
        {
            int w = t / a.Splits;
            int split = t - w * a.Splits;
            int query = a.QueryOffset + w;
            long from = (long)split * a.SplitLength, to = from + a.SplitLength;
            int begin = from < a.Supports ? (int)from : a.Supports;
            int end = to < a.Supports ? (int)to : a.Supports;
            long slot0 = (long)t * Warp.WarpSize + lane;          // slot j of this lane: slot0 + j * stride
            long stride = (long)tasks * Warp.WarpSize;

            // Phase 1: this lane's sorted (best first) list of at most cap entries. Once the list is full, `floor`
            // caches its last entry in a register: a candidate must beat it (entries are never 0, so 0 admits all).
            int count = 0;
            ulong floor = 0UL;
            for (int s = begin + lane; s < end; s += Warp.WarpSize)
            {
                uint key = scorer.Key(query, s);
                if (key <= a.MissingKey) continue;
                ulong entry = OrderedKeys.Entry(key, s);
                if (entry <= floor) continue;
                // Insertion: shift worse entries down one slot (dropping the last one when full).
                int pos = count < cap ? count : cap - 1;
                while (pos > 0)
                {
                    ulong above = a.Scratch[slot0 + (pos - 1) * stride];
                    if (above >= entry) break;
                    a.Scratch[slot0 + pos * stride] = above;
                    pos--;
                }
                a.Scratch[slot0 + pos * stride] = entry;
                if (count < cap) count++;
                if (count == cap) floor = a.Scratch[slot0 + (cap - 1) * stride];
            }

            // Phase 2: merge the 32 lists, one winner per round.
            int head = 0;
            long row = (a.Splits == 1 ? (long)query : t) * a.K;
            for (int r = 0; r < a.K; r++)
            {
                ulong mine = head < count ? a.Scratch[slot0 + head * stride] : 0UL;
                ulong best = mine;
                for (int mask = Warp.WarpSize / 2; mask > 0; mask >>= 1)
                {
                    ulong other = Warp.ShuffleXor(best, mask);
                    if (other > best) best = other;
                }
                if (best == 0UL)
                {
                    // Every lane's list is exhausted (best is warp-uniform): pad the rest of the row.
                    for (int u = r + lane; u < a.K; u += Warp.WarpSize) a.Result[row + u] = 0UL;
                    break;
                }
                if (mine == best) head++;
                if (lane == 0) a.Result[row + r] = best;
            }
        }
    }

    /// <summary>
    /// After a merge launch over a split launch's candidates: each merged entry's index is a candidate position; the
    /// candidate itself (the real support index with the same key) replaces it. One thread per result entry.
    /// </summary>
    [GpuKernel]
    public static void RemapMerged(RemapArgs a)
    {
        long total = (long)a.Queries * a.K;
        for (long i = Threads.Global; i < total; i += Threads.Total)
        {
            long at = (long)a.QueryOffset * a.K + i;
            ulong merged = a.Result[at];
            if (merged == 0UL) continue;
            long local = i / a.K;
            a.Result[at] = a.Candidates[local * a.PerQuery + OrderedKeys.EntryIndex(merged)];
        }
    }
}
