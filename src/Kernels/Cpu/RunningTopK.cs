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
        int start = row * _k, pos = _k - 1;
        // equal scores keep their order: the earlier (lower) index stays first
        while (pos > 0 && _score[start + pos - 1] < score)
        {
            _score[start + pos] = _score[start + pos - 1];
            _index[start + pos] = _index[start + pos - 1];
            pos--;
        }
        _score[start + pos] = score;
        _index[start + pos] = index;
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
}
