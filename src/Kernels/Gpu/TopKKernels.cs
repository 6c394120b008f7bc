using ILGPU;

namespace Lshk.Kernels.Gpu;

/// <summary>Scores a (query, support) pair as an ordered key (see <see cref="OrderedKeys"/>).</summary>
internal interface IPairScorer
{
    uint Key(int query, int support);
}

/// <summary>
/// One launch of the warp top-k kernel: queries [QueryOffset, QueryOffset + Queries) against all supports.
/// Scratch holds each lane's private sorted list: LaneCapacity slots per lane, slot j of lane l of local query w at
/// (j * Queries + w) * 32 + l, so the 32 lanes of a warp touch 32 consecutive entries (coalesced).
/// Result is Q_total × K entries (0 = padding).
/// </summary>
internal readonly record struct TopKArgs(int Queries, int QueryOffset, int Supports, int K, int LaneCapacity, uint MissingKey,
    ArrayView<ulong> Scratch, ArrayView<ulong> Result);

/// <summary>Warp-per-query top-k search, shared by the Hamming, cosine and sigmoid matchers.</summary>
internal static class TopKKernels
{
    /// <summary>
    /// One warp per query (warp-stride over the launch's queries).
    /// Phase 1: lane l scores supports l, l+32, l+64, ... (increasing) and keeps its best LaneCapacity entries sorted
    /// in scratch; a candidate enters only if its key beats the missing-score key, like the CPU's threshold.
    /// Phase 2: k rounds of a warp arg-max over the 32 lane heads (butterfly with ShuffleXor: after 5 steps every lane
    /// holds the best head); the owning lane advances its head, lane 0 writes the entry. Entries are unique (distinct
    /// indices), so exactly one lane owns the winner. When every list is exhausted the rest of the row is padded.
    /// </summary>
    [GpuKernel]
    public static void WarpTopK<TScorer>(TScorer scorer, TopKArgs a) where TScorer : struct, IPairScorer
    {
        int lane = Warp.LaneIdx;
        int cap = a.LaneCapacity;
        for (int w = Threads.GlobalWarp; w < a.Queries; w += Threads.TotalWarps)
        {
            int query = a.QueryOffset + w;
            long slot0 = (long)w * Warp.WarpSize + lane;          // slot j of this lane: slot0 + j * stride
            long stride = (long)a.Queries * Warp.WarpSize;

            // Phase 1: this lane's sorted (best first) list of at most cap entries. Once the list is full, `floor`
            // caches its last entry in a register: a candidate must beat it (entries are never 0, so 0 admits all).
            int count = 0;
            ulong floor = 0UL;
            for (int s = lane; s < a.Supports; s += Warp.WarpSize)
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
            long row = (long)query * a.K;
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
                    for (int t = r + lane; t < a.K; t += Warp.WarpSize) a.Result[row + t] = 0UL;
                    break;
                }
                if (mine == best) head++;
                if (lane == 0) a.Result[row + r] = best;
            }
        }
    }
}
