namespace Lshk.Kernels.Cpu;

/// <summary>
/// Per-query running top-k by float score (higher is better), for candidates offered in increasing index
/// order: a candidate must be strictly better than the k-th to enter, so ties keep the lower index.
/// </summary>
internal sealed class FloatTopK
{
    private readonly int _k;
    private readonly float[] _score;
    private readonly int[] _index;
    private readonly int[] _filled;

    public FloatTopK(int rows, int k)
    {
        _k = k;
        _score = new float[rows * k];
        _index = new int[rows * k];
        _filled = new int[rows];
    }

    /// <summary>The score to beat: the k-th best, or -∞ while fewer than k are held.</summary>
    public float Worst(int row) => _filled[row] < _k ? float.NegativeInfinity : _score[row * _k + _k - 1];

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Offer(int row, float score, int index)
    {
        if (!(score > Worst(row))) return;
        int n = Math.Min(_filled[row] + 1, _k);
        _filled[row] = n;
        int pos = n - 1, start = row * _k;
        while (pos > 0 && _score[start + pos - 1] < score)
        {
            _score[start + pos] = _score[start + pos - 1];
            _index[start + pos] = _index[start + pos - 1];
            pos--;
        }
        _score[start + pos] = score;
        _index[start + pos] = index;
    }

    /// <summary>Merges with a state that saw only higher support indices.</summary>
    public FloatTopK MergeWith(FloatTopK later)
    {
        var merged = new FloatTopK(_filled.Length, _k);
        for (int row = 0; row < _filled.Length; row++)
        {
            for (int i = 0; i < _filled[row]; i++) merged.Offer(row, _score[row * _k + i], _index[row * _k + i]);
            for (int i = 0; i < later._filled[row]; i++) merged.Offer(row, later._score[row * _k + i], later._index[row * _k + i]);
        }
        return merged;
    }

    /// <summary>Copies rows into result starting at firstRow, stopping at the real query count (padding rows dropped).</summary>
    public void WriteTo(TopK<float> result, int firstRow, int queries)
    {
        for (int row = 0; row < _filled.Length && firstRow + row < queries; row++)
        {
            var scores = result.ScoreRow(firstRow + row);
            var indices = result.IndexRow(firstRow + row);
            for (int i = 0; i < _filled[row]; i++)
            {
                scores[i] = _score[row * _k + i];
                indices[i] = _index[row * _k + i];
            }
        }
    }
}
