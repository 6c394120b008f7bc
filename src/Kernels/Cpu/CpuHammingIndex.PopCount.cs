using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Lshk.Kernels.Cpu;

/// <summary>
/// The scan without AVX-512: scalar XOR + POPCNT over the same blocked layout. On the AVX2 machines this is faster
/// than a 256-bit nibble-table popcount (vpshufb + vpsadbw), measured in bench/RESULTS.md ("Hamming scan on the AVX2
/// machine"): first-generation Zen splits every 256-bit operation into two 128-bit halves, while scalar popcnt issues
/// on all four integer pipes, so one 64-bit word costs three scalar operations (xor, popcnt, add) against about seven
/// half-width vector operations per two words.
/// Several queries share each support word loaded (<see cref="QueryGroup"/>), which gives the core independent
/// dependency chains to overlap, and a support reaches the top-k only when it beats the query's current k-th best,
/// a compare-and-branch that is almost never taken once the lists are full.
/// </summary>
internal sealed unsafe partial class CpuHammingIndex
{
    /// <summary>
    /// Queries scanned together. Four keeps their running distances, thresholds and loop pointers within the 16
    /// general-purpose registers of x64 (query words are read as memory operands of the xor).
    /// </summary>
    private const int QueryGroup = 4;

    /// <summary>64-bit words per code of the kernels specialised for 64- and 256-bit codes (loops fully unrolled).</summary>
    private const int Words64Bits = 1, Words256Bits = 4;

    /// <summary>Scans support blocks [b0, b1) for queries [first, last) (rows from 0 in state), groups of four first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScanTilePopCount(ulong* sup, ulong* qs, int first, int last, int b0, int b1, RunningTopK<int> state)
    {
        int w64 = _words64;
        // Supports past Count are the zero padding of the last block: never offered.
        int s0 = b0 * Lanes, end = Math.Min(Count, b1 * Lanes);
        if (s0 >= end) return;
        int r = first;
        for (; r + QueryGroup <= last; r += QueryGroup)
        {
            ulong* q = qs + (long)r * w64;
            int row = r - first;
            switch (w64)
            {
                case Words64Bits: Group64(sup, q, s0, end, state, row); break;
                case Words256Bits: Group256(sup, q, s0, end, state, row); break;
                default: GroupAny(sup, q, s0, end, state, row); break;
            }
        }
        for (; r < last; r++)
            Single(sup, qs + (long)r * w64, s0, end, state, r - first);
    }

    /// <summary>
    /// Popcount as a 64-bit value: with POPCNT the JIT emits the one instruction with no sign extension after it
    /// (BitOperations.PopCount returns int, and widening it costs a movsxd per word in these loops).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Pop(ulong x) => Popcnt.X64.IsSupported ? Popcnt.X64.PopCount(x) : (ulong)BitOperations.PopCount(x);

    /// <summary>The distance to beat as an unsigned value (it is at least 1: Bits minus a count of at most Bits − 1, or Bits + 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong Threshold(RunningTopK<int> state, int row) => (ulong)DistanceToBeat(state, row);

    /// <summary>
    /// Four queries, codes of one 64-bit word. With one word per code the blocked layout is plain index order,
    /// so support s is sup[s].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Group64(ulong* sup, ulong* q, int s0, int end, RunningTopK<int> state, int row)
    {
        ulong q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3];
        ulong t0 = Threshold(state, row), t1 = Threshold(state, row + 1),
            t2 = Threshold(state, row + 2), t3 = Threshold(state, row + 3);
        for (ulong* c = sup + s0, stop = sup + end; c < stop; c++)
        {
            ulong w = *c;
            ulong h0 = Pop(w ^ q0), h1 = Pop(w ^ q1), h2 = Pop(w ^ q2), h3 = Pop(w ^ q3);
            if (h0 < t0) t0 = OfferAndRethreshold(state, row, h0, (int)(c - sup));
            if (h1 < t1) t1 = OfferAndRethreshold(state, row + 1, h1, (int)(c - sup));
            if (h2 < t2) t2 = OfferAndRethreshold(state, row + 2, h2, (int)(c - sup));
            if (h3 < t3) t3 = OfferAndRethreshold(state, row + 3, h3, (int)(c - sup));
        }
    }

    /// <summary>
    /// Four queries, codes of four 64-bit words (129–256 bits). Walks block by block and lane by lane with pointers:
    /// word j of the support in lane l of a block is at block[j·8 + l].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Group256(ulong* sup, ulong* q, int s0, int end, RunningTopK<int> state, int row)
    {
        const int blockWords = Words256Bits * Lanes;
        ulong t0 = Threshold(state, row), t1 = Threshold(state, row + 1),
            t2 = Threshold(state, row + 2), t3 = Threshold(state, row + 3);
        for (int b = s0; b < end; b += Lanes)
        {
            ulong* block = sup + (long)(b / Lanes) * blockWords;
            for (ulong* c = block, stop = block + Math.Min(Lanes, end - b); c < stop; c++)
            {
                ulong c0 = c[0], c1 = c[Lanes], c2 = c[2 * Lanes], c3 = c[3 * Lanes];
                ulong h0 = Pop(c0 ^ q[0]) + Pop(c1 ^ q[1]) + Pop(c2 ^ q[2]) + Pop(c3 ^ q[3]);
                ulong h1 = Pop(c0 ^ q[4]) + Pop(c1 ^ q[5]) + Pop(c2 ^ q[6]) + Pop(c3 ^ q[7]);
                ulong h2 = Pop(c0 ^ q[8]) + Pop(c1 ^ q[9]) + Pop(c2 ^ q[10]) + Pop(c3 ^ q[11]);
                ulong h3 = Pop(c0 ^ q[12]) + Pop(c1 ^ q[13]) + Pop(c2 ^ q[14]) + Pop(c3 ^ q[15]);
                if (h0 < t0) t0 = OfferAndRethreshold(state, row, h0, b + (int)(c - block));
                if (h1 < t1) t1 = OfferAndRethreshold(state, row + 1, h1, b + (int)(c - block));
                if (h2 < t2) t2 = OfferAndRethreshold(state, row + 2, h2, b + (int)(c - block));
                if (h3 < t3) t3 = OfferAndRethreshold(state, row + 3, h3, b + (int)(c - block));
            }
        }
    }

    /// <summary>
    /// Four queries, any number of 64-bit words per code; walks as <see cref="Group256"/>. The group's query words
    /// are interleaved word-major (word j of query i at g[4j + i]) and the thresholds live in memory, so the word loop
    /// needs only its two pointers, the support word and the four sums in registers and never spills.
    /// </summary>
    [SkipLocalsInit, MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void GroupAny(ulong* sup, ulong* q, int s0, int end, RunningTopK<int> state, int row)
    {
        int w64 = _words64;
        ulong* g = stackalloc ulong[QueryGroup * w64];
        for (int j = 0; j < w64; j++)
            for (int i = 0; i < QueryGroup; i++) g[j * QueryGroup + i] = q[i * w64 + j];
        ulong* t = stackalloc ulong[QueryGroup];
        for (int i = 0; i < QueryGroup; i++) t[i] = Threshold(state, row + i);
        ulong* gEnd = g + QueryGroup * w64;
        for (int b = s0; b < end; b += Lanes)
        {
            ulong* block = sup + (long)(b / Lanes) * w64 * Lanes;
            for (ulong* c = block, stop = block + Math.Min(Lanes, end - b); c < stop; c++)
            {
                ulong h0 = 0, h1 = 0, h2 = 0, h3 = 0;
                ulong* w = c;
                for (ulong* qj = g; qj < gEnd; qj += QueryGroup, w += Lanes)
                {
                    ulong x = *w;
                    h0 += Pop(x ^ qj[0]);
                    h1 += Pop(x ^ qj[1]);
                    h2 += Pop(x ^ qj[2]);
                    h3 += Pop(x ^ qj[3]);
                }
                if (h0 < t[0]) t[0] = OfferAndRethreshold(state, row, h0, b + (int)(c - block));
                if (h1 < t[1]) t[1] = OfferAndRethreshold(state, row + 1, h1, b + (int)(c - block));
                if (h2 < t[2]) t[2] = OfferAndRethreshold(state, row + 2, h2, b + (int)(c - block));
                if (h3 < t[3]) t[3] = OfferAndRethreshold(state, row + 3, h3, b + (int)(c - block));
            }
        }
    }

    /// <summary>
    /// One query (a search of fewer than four, or the last of a batch). Its words are summed in two independent
    /// halves so that a long code is not one serial chain of adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Single(ulong* sup, ulong* q, int s0, int end, RunningTopK<int> state, int row)
    {
        int w64 = _words64;
        ulong t = Threshold(state, row);
        if (w64 == Words64Bits)
        {
            ulong q0 = q[0];
            for (ulong* c = sup + s0, stop = sup + end; c < stop; c++)
            {
                ulong h = Pop(*c ^ q0);
                if (h < t) t = OfferAndRethreshold(state, row, h, (int)(c - sup));
            }
            return;
        }
        for (int b = s0; b < end; b += Lanes)
        {
            ulong* block = sup + (long)(b / Lanes) * w64 * Lanes;
            for (ulong* c = block, stop = block + Math.Min(Lanes, end - b); c < stop; c++)
            {
                ulong ha = 0, hb = 0;
                int j = 0;
                for (; j + 2 <= w64; j += 2)
                {
                    ha += Pop(c[j * Lanes] ^ q[j]);
                    hb += Pop(c[(j + 1) * Lanes] ^ q[j + 1]);
                }
                if (j < w64) ha += Pop(c[j * Lanes] ^ q[j]);
                ulong h = ha + hb;
                if (h < t) t = OfferAndRethreshold(state, row, h, b + (int)(c - block));
            }
        }
    }

    /// <summary>
    /// Offers a support that beat the threshold and returns the new one. Kept out of line so that the scan loops
    /// stay small; it runs for a vanishing fraction of supports.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong OfferAndRethreshold(RunningTopK<int> state, int row, ulong distance, int index)
    {
        state.Offer(row, Bits - (int)distance, index);
        return Threshold(state, row);
    }
}
