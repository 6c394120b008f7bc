using System.Runtime.CompilerServices;

namespace Lshk.Kernels.Cpu;

/// <summary>
/// A running top-k over candidates visited in increasing index order, kept sorted best first.
/// Because indices only grow, "ties to the lower index" means a candidate must be strictly better than the
/// current k-th to enter. Higher score is better.
/// </summary>
internal static class TopKList
{
    /// <summary>Inserts (score, index) into the sorted prefix; returns the new worst score (the entry threshold).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Insert<T>(Span<T> scores, Span<int> indices, T score, int index) where T : IComparable<T>
    {
        int pos = scores.Length - 1;
        while (pos > 0 && scores[pos - 1].CompareTo(score) < 0)
        {
            scores[pos] = scores[pos - 1];
            indices[pos] = indices[pos - 1];
            pos--;
        }
        scores[pos] = score;
        indices[pos] = index;
    }

    /// <summary>Merges two best-first lists (a holds lower indices than b on ties) into dst.</summary>
    public static void Merge<T>(ReadOnlySpan<T> aScores, ReadOnlySpan<int> aIdx, ReadOnlySpan<T> bScores,
        ReadOnlySpan<int> bIdx, Span<T> dstScores, Span<int> dstIdx) where T : IComparable<T>
    {
        int i = 0, j = 0;
        for (int o = 0; o < dstScores.Length; o++)
        {
            bool takeA;
            if (i >= aIdx.Length || aIdx[i] < 0) takeA = false;
            else if (j >= bIdx.Length || bIdx[j] < 0) takeA = true;
            else
            {
                int c = aScores[i].CompareTo(bScores[j]);
                takeA = c > 0 || (c == 0 && aIdx[i] < bIdx[j]);
            }
            if (takeA) { dstScores[o] = aScores[i]; dstIdx[o] = aIdx[i]; i++; }
            else if (j < bIdx.Length && bIdx[j] >= 0) { dstScores[o] = bScores[j]; dstIdx[o] = bIdx[j]; j++; }
            else break;
        }
    }
}
