using System.Numerics;
using System.Runtime.CompilerServices;

namespace Lshk.Kernels.Cpu;

/// <summary>
/// The CPU's one running top-k: per row (query), the k best (score, index) pairs seen so far, best (highest score)
/// first. Candidates are offered in increasing index order, so "ties go to the lower index" means a candidate must be
/// strictly better than the current k-th to enter. Rows start as <see cref="TopK{T}"/>'s padding (index −1, the
/// missing score), so a row that saw fewer than k candidates reads the same as a search result with fewer supports.
/// The Hamming search offers XNOR counts (Bits − distance), the cosine and sigmoid searches float scores.
/// </summary>
internal sealed class RunningTopK<T> where T : unmanaged, IComparisonOperators<T, T, bool>
{
    private readonly int _k;
    private readonly T _missing;
    private readonly T[] _score;
    private readonly int[] _index;

    public RunningTopK(int rows, int k, T missing)
    {
        Rows = rows;
        _k = k;
        _missing = missing;
        _score = new T[rows * k];
        _index = new int[rows * k];
        _score.AsSpan().Fill(missing);
        _index.AsSpan().Fill(-1);
    }

    public int Rows { get; }

    /// <summary>The score to beat (strictly): the k-th best, or the missing score while fewer than k are held.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Worst(int row) => _score[row * _k + _k - 1];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Offer(int row, T score, int index)
    {
        // written as !(a > b) so that a float NaN never enters
        if (!(score > Worst(row))) return;
        RunningTopK.Insert(_score.AsSpan(row * _k, _k), _index.AsSpan(row * _k, _k), score, index);
    }

    /// <summary>Merges with a list over the same rows that saw only higher indices (a later part of the supports).</summary>
    public RunningTopK<T> MergeWith(RunningTopK<T> later)
    {
        var merged = new RunningTopK<T>(Rows, _k, _missing);
        for (int row = 0; row < Rows; row++)
        {
            OfferRow(merged, row);
            later.OfferRow(merged, row);
        }
        return merged;
    }

    private void OfferRow(RunningTopK<T> target, int row)
    {
        for (int i = row * _k; i < (row + 1) * _k && _index[i] >= 0; i++) target.Offer(row, _score[i], _index[i]);
    }

    /// <summary>Copies rows into <paramref name="result"/> from <paramref name="firstRow"/> on, dropping rows at or past <paramref name="queries"/> (padding).</summary>
    public void WriteTo(TopK<T> result, int firstRow, int queries)
    {
        for (int row = 0; row < Rows && firstRow + row < queries; row++)
        {
            _score.AsSpan(row * _k, _k).CopyTo(result.ScoreRow(firstRow + row));
            _index.AsSpan(row * _k, _k).CopyTo(result.IndexRow(firstRow + row));
        }
    }
}

/// <summary>Running top-k lists with the padding scores of <see cref="TopK"/>.</summary>
internal static class RunningTopK
{
    public static RunningTopK<int> ForCounts(int rows, int k) => new(rows, k, TopK.MissingCount);
    public static RunningTopK<float> ForFloats(int rows, int k) => new(rows, k, TopK.MissingFloat);

    /// <summary>
    /// The list's one insertion step, on one row held as spans (best first): puts (score, index) in place, dropping the
    /// last entry. The caller has checked that score beats the row's last entry; equal scores keep their order, so the
    /// earlier (lower) index stays first. Searches that keep their rows in their own arrays (the asymmetric scan) call it directly.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Insert<T>(Span<T> scores, Span<int> indices, T score, int index) where T : IComparisonOperators<T, T, bool>
    {
        int pos = scores.Length - 1;
        while (pos > 0 && scores[pos - 1] < score)
        {
            scores[pos] = scores[pos - 1];
            indices[pos] = indices[pos - 1];
            pos--;
        }
        scores[pos] = score;
        indices[pos] = index;
    }

    /// <summary>
    /// Merges two best-first rows (a saw lower indices than b, so a wins ties) into dst; entries with index −1 are padding.
    /// </summary>
    public static void Merge<T>(ReadOnlySpan<T> aScores, ReadOnlySpan<int> aIndices, ReadOnlySpan<T> bScores,
        ReadOnlySpan<int> bIndices, Span<T> dstScores, Span<int> dstIndices) where T : IComparisonOperators<T, T, bool>
    {
        int i = 0, j = 0;
        for (int o = 0; o < dstScores.Length; o++)
        {
            bool aLeft = i < aIndices.Length && aIndices[i] >= 0, bLeft = j < bIndices.Length && bIndices[j] >= 0;
            if (!aLeft && !bLeft) break;
            bool takeA = aLeft && (!bLeft || !(aScores[i] < bScores[j]));
            if (takeA) { dstScores[o] = aScores[i]; dstIndices[o] = aIndices[i]; i++; }
            else { dstScores[o] = bScores[j]; dstIndices[o] = bIndices[j]; j++; }
        }
    }
}
