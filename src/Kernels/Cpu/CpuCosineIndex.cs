namespace Lshk.Kernels.Cpu;

/// <summary>Cosine search on the CPU over normalised embeddings.</summary>
internal sealed class CpuCosineIndex : ICosineIndex
{
    private readonly float[] _unit;

    public CpuCosineIndex(ReadOnlySpan<float> x, int n, int d)
    {
        Check.NonNegative(n, nameof(n));
        Check.Positive(d, nameof(d));
        Check.Length(x, (long)n * d, nameof(x));
        _unit = x.ToArray();
        Normalise(_unit, n, d);
        Count = n;
        Dim = d;
    }

    public int Count { get; }
    public int Dim { get; }

    /// <summary>Scales each row to unit length; a zero row stays zero.</summary>
    internal static void Normalise(Span<float> rows, int n, int d)
    {
        for (int r = 0; r < n; r++)
        {
            var row = rows.Slice(r * d, d);
            float norm = System.Numerics.Tensors.TensorPrimitives.Norm(row);
            if (norm > 0) System.Numerics.Tensors.TensorPrimitives.Divide(row, norm, row);
        }
    }

    public TopK<float> Search(ReadOnlySpan<float> queries, int q, int k)
    {
        Check.NonNegative(q, nameof(q));
        Check.Positive(k, nameof(k));
        Check.Length(queries, (long)q * Dim, nameof(queries));
        var result = TopK.ForFloats(q, k);
        float[] qs = queries.ToArray();
        Normalise(qs, q, Dim);
        Parallel.For(0, q, r =>
        {
            var scores = result.ScoreRow(r);
            var idx = result.IndexRow(r);
            float threshold = float.NegativeInfinity;
            var query = qs.AsSpan(r * Dim, Dim);
            for (int s = 0; s < Count; s++)
            {
                float c = System.Numerics.Tensors.TensorPrimitives.Dot(query, _unit.AsSpan(s * Dim, Dim));
                if (c > threshold)
                {
                    TopKList.Insert(scores, idx, c, s);
                    threshold = scores[k - 1];
                }
            }
        });
        return result;
    }

    public void Dispose()
    {
    }
}
