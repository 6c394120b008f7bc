namespace Lshk.Kernels;

/// <summary>
/// Top-k search results: row r holds the k best supports of query r, best first.
/// When fewer than k supports exist the row is padded with index -1 and <see cref="Missing"/> as score.
/// </summary>
public sealed class TopK<T> where T : unmanaged
{
    public TopK(int queries, int k, T missing)
    {
        Queries = queries;
        K = k;
        Missing = missing;
        Indices = new int[(long)queries * k];
        Scores = new T[(long)queries * k];
        Indices.AsSpan().Fill(-1);
        Scores.AsSpan().Fill(missing);
    }

    public int Queries { get; }
    public int K { get; }

    /// <summary>The score given to padding entries: -1 for XNOR counts, -∞ for float scores.</summary>
    public T Missing { get; }

    /// <summary>Queries × K support indices, row-major.</summary>
    public int[] Indices { get; }

    /// <summary>Queries × K scores, row-major.</summary>
    public T[] Scores { get; }

    public Span<int> IndexRow(int query) => Indices.AsSpan(query * K, K);
    public Span<T> ScoreRow(int query) => Scores.AsSpan(query * K, K);
}

public static class TopK
{
    /// <summary>Padding score for XNOR counts.</summary>
    public const int MissingCount = -1;

    /// <summary>Padding score for float scores.</summary>
    public const float MissingFloat = float.NegativeInfinity;

    public static TopK<int> ForCounts(int queries, int k) => new(queries, k, MissingCount);
    public static TopK<float> ForFloats(int queries, int k) => new(queries, k, MissingFloat);
}
