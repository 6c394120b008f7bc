using System.Numerics;
using System.Runtime.CompilerServices;

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
    /// Four queries, codes of one 64-bit word. With one word per code the blocked layout is plain index order,
    /// so support s is sup[s].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Group64(ulong* sup, ulong* q, int s0, int end, RunningTopK<int> state, int row)
    {
        ulong q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3];
        int t0 = DistanceToBeat(state, row), t1 = DistanceToBeat(state, row + 1),
            t2 = DistanceToBeat(state, row + 2), t3 = DistanceToBeat(state, row + 3);
        for (int s = s0; s < end; s++)
        {
            ulong w = sup[s];
            int h0 = BitOperations.PopCount(w ^ q0), h1 = BitOperations.PopCount(w ^ q1),
                h2 = BitOperations.PopCount(w ^ q2), h3 = BitOperations.PopCount(w ^ q3);
            if (h0 < t0) t0 = OfferAndRethreshold(state, row, h0, s);
            if (h1 < t1) t1 = OfferAndRethreshold(state, row + 1, h1, s);
            if (h2 < t2) t2 = OfferAndRethreshold(state, row + 2, h2, s);
            if (h3 < t3) t3 = OfferAndRethreshold(state, row + 3, h3, s);
        }
    }

    /// <summary>Four queries, codes of four 64-bit words (129–256 bits): word j of support s at the block's row j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Group256(ulong* sup, ulong* q, int s0, int end, RunningTopK<int> state, int row)
    {
        const int w64 = Words256Bits;
        int t0 = DistanceToBeat(state, row), t1 = DistanceToBeat(state, row + 1),
            t2 = DistanceToBeat(state, row + 2), t3 = DistanceToBeat(state, row + 3);
        for (int s = s0; s < end; s++)
        {
            ulong* c = sup + (long)(s / Lanes) * w64 * Lanes + s % Lanes;
            ulong c0 = c[0], c1 = c[Lanes], c2 = c[2 * Lanes], c3 = c[3 * Lanes];
            int h0 = BitOperations.PopCount(c0 ^ q[0]) + BitOperations.PopCount(c1 ^ q[1])
                + BitOperations.PopCount(c2 ^ q[2]) + BitOperations.PopCount(c3 ^ q[3]);
            int h1 = BitOperations.PopCount(c0 ^ q[4]) + BitOperations.PopCount(c1 ^ q[5])
                + BitOperations.PopCount(c2 ^ q[6]) + BitOperations.PopCount(c3 ^ q[7]);
            int h2 = BitOperations.PopCount(c0 ^ q[8]) + BitOperations.PopCount(c1 ^ q[9])
                + BitOperations.PopCount(c2 ^ q[10]) + BitOperations.PopCount(c3 ^ q[11]);
            int h3 = BitOperations.PopCount(c0 ^ q[12]) + BitOperations.PopCount(c1 ^ q[13])
                + BitOperations.PopCount(c2 ^ q[14]) + BitOperations.PopCount(c3 ^ q[15]);
            if (h0 < t0) t0 = OfferAndRethreshold(state, row, h0, s);
            if (h1 < t1) t1 = OfferAndRethreshold(state, row + 1, h1, s);
            if (h2 < t2) t2 = OfferAndRethreshold(state, row + 2, h2, s);
            if (h3 < t3) t3 = OfferAndRethreshold(state, row + 3, h3, s);
        }
    }

    /// <summary>Four queries, any number of 64-bit words per code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void GroupAny(ulong* sup, ulong* q, int s0, int end, RunningTopK<int> state, int row)
    {
        int w64 = _words64;
        ulong* q1 = q + w64, q2 = q1 + w64, q3 = q2 + w64;
        int t0 = DistanceToBeat(state, row), t1 = DistanceToBeat(state, row + 1),
            t2 = DistanceToBeat(state, row + 2), t3 = DistanceToBeat(state, row + 3);
        for (int s = s0; s < end; s++)
        {
            ulong* c = sup + (long)(s / Lanes) * w64 * Lanes + s % Lanes;
            int h0 = 0, h1 = 0, h2 = 0, h3 = 0;
            for (int j = 0; j < w64; j++, c += Lanes)
            {
                ulong w = *c;
                h0 += BitOperations.PopCount(w ^ q[j]);
                h1 += BitOperations.PopCount(w ^ q1[j]);
                h2 += BitOperations.PopCount(w ^ q2[j]);
                h3 += BitOperations.PopCount(w ^ q3[j]);
            }
            if (h0 < t0) t0 = OfferAndRethreshold(state, row, h0, s);
            if (h1 < t1) t1 = OfferAndRethreshold(state, row + 1, h1, s);
            if (h2 < t2) t2 = OfferAndRethreshold(state, row + 2, h2, s);
            if (h3 < t3) t3 = OfferAndRethreshold(state, row + 3, h3, s);
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
        int t = DistanceToBeat(state, row);
        if (w64 == Words64Bits)
        {
            ulong q0 = q[0];
            for (int s = s0; s < end; s++)
            {
                int h = BitOperations.PopCount(sup[s] ^ q0);
                if (h < t) t = OfferAndRethreshold(state, row, h, s);
            }
            return;
        }
        for (int s = s0; s < end; s++)
        {
            ulong* c = sup + (long)(s / Lanes) * w64 * Lanes + s % Lanes;
            int ha = 0, hb = 0, j = 0;
            for (; j + 2 <= w64; j += 2)
            {
                ha += BitOperations.PopCount(c[j * Lanes] ^ q[j]);
                hb += BitOperations.PopCount(c[(j + 1) * Lanes] ^ q[j + 1]);
            }
            if (j < w64) ha += BitOperations.PopCount(c[j * Lanes] ^ q[j]);
            int h = ha + hb;
            if (h < t) t = OfferAndRethreshold(state, row, h, s);
        }
    }

    /// <summary>
    /// Offers a support that beat the threshold and returns the new one. Kept out of line so that the scan loops
    /// stay small; it runs for a vanishing fraction of supports.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int OfferAndRethreshold(RunningTopK<int> state, int row, int distance, int index)
    {
        state.Offer(row, Bits - distance, index);
        return DistanceToBeat(state, row);
    }
}
