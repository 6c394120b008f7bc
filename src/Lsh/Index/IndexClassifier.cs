using Lshk.Kernels;

namespace Lshk.Lsh.Index;

/// <summary>
/// A class and its score for one query, higher is better: an XNOR count (hamming), a cosine, or the normalised
/// asymmetric score Σᵢ pᵢ·bᵢ / Σᵢ |pᵢ| in [−1, 1] (1: every stored bit has the sign of the query's projection).
/// </summary>
public readonly record struct ClassScore(int Class, double Score);

/// <summary>
/// Classifies query embeddings against a <see cref="SupportIndex"/>. For each query it returns up to
/// <c>top</c> classes, best first: with <see cref="MatchMethod.HammingNearest"/>, <see cref="MatchMethod.CosineNearest"/> and
/// <see cref="MatchMethod.Asymmetric"/> (Σ query projection × ±1 support bit, reported divided by Σ |projection|) a
/// class's score is that of its best support, and classes are ranked by the supports' order in the search
/// (score, then lower support index); with <see cref="MatchMethod.HammingMajority"/> classes are ranked by their
/// majority code's XNOR count (ties to the lower class id). The first class is the prediction; an empty index
/// gives every query an empty list. An index of codebook codes (pq, opq) is scored by <see cref="MatchMethod.Asymmetric"/>,
/// there the cosine between the query and each support's reconstruction (<see cref="IndexCodebook.Search"/>), or by
/// cosine on the stored embeddings (<see cref="SupportIndex.Supports"/>).
/// </summary>
public sealed class IndexClassifier : IDisposable
{
    /// <summary>Most query × support results held at once while searching.</summary>
    private const long ResultBudget = 1 << 22;

    private readonly IComputeBackend _backend;
    private readonly SupportIndex _index;
    private readonly IHammingIndex? _hamming;
    private readonly ICosineIndex? _cosine;
    private readonly IAsymmetricIndex? _asymmetric;

    public IndexClassifier(IComputeBackend backend, SupportIndex index, MatchMethod method)
    {
        _backend = backend;
        _index = index;
        Method = method;
        if (!index.Supports(method))
            throw new ArgumentException($"an index of {index.Family.Name} codes cannot be scored by {method.Name()}", nameof(method));
        // An empty index answers every query with no classes; the backends' indexes need at least one item.
        if (index.Count == 0) return;
        switch (method)
        {
            case MatchMethod.HammingNearest:
                _hamming = backend.CreateHammingIndex(index.Codes, index.Count, index.Bits);
                break;
            case MatchMethod.HammingMajority:
                uint[] majority = Prototypes.MajorityCodes(backend, index.Codes, index.Count, index.Bits, index.Labels, index.ClassCount);
                _hamming = backend.CreateHammingIndex(majority, index.ClassCount, index.Bits);
                break;
            case MatchMethod.CosineNearest:
                _cosine = backend.CreateCosineIndex(index.Embeddings, index.Count, index.Dim);
                break;
            case MatchMethod.Asymmetric when index.Codebook is not null:
                break; // scored straight from the stored codes at each search (IndexCodebook.Search)
            case MatchMethod.Asymmetric:
                // The stored codes as they are; queries are projected with the index's own planes and centre.
                _asymmetric = backend.CreateAsymmetricIndex(index.Codes, index.Count, index.Bits);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(method));
        }
    }

    public MatchMethod Method { get; }

    /// <summary>Q×D query embeddings → for each query its top classes (at most <paramref name="top"/>), best first.</summary>
    public ClassScore[][] Classify(ReadOnlySpan<float> queries, int q, int top)
    {
        Check.Positive(top, "top");
        Check.NonNegative(q, nameof(q));
        if (queries.Length != (long)q * _index.Dim)
            throw new Lshk.Core.InputException($"queries have {(q == 0 ? queries.Length : queries.Length / q)} values each, the index expects {_index.Dim}");
        var result = new ClassScore[q][];
        if (q == 0) return result;
        if (_index.Count == 0)
        {
            Array.Fill(result, []);
            return result;
        }
        int classes = Math.Min(top, _index.ClassCount);
        if (Method == MatchMethod.HammingMajority)
        {
            uint[] codes = _index.Hasher.Hash(_backend, queries, q);
            var found = _hamming!.Search(codes, q, classes);
            for (int r = 0; r < q; r++)
            {
                result[r] = new ClassScore[classes];
                for (int j = 0; j < classes; j++) result[r][j] = new ClassScore(found.IndexRow(r)[j], found.ScoreRow(r)[j]);
            }
            return result;
        }
        // Per support: search the k best supports, enough to meet `classes` distinct classes; widen k when not.
        int chunk = (int)Math.Clamp(ResultBudget / _index.Count, 1, q);
        var codebook = _index.Codebook;
        uint[]? queryCodes = Method == MatchMethod.HammingNearest ? _index.Hasher.Hash(_backend, queries, q) : null;
        float[]? projections = Method == MatchMethod.Asymmetric && codebook is null ? _index.Hasher.Project(_backend, queries, q) : null;
        float[]? prepared = Method == MatchMethod.Asymmetric && codebook is not null ? codebook.Prepare(_backend, queries, q) : null;
        for (int start = 0; start < q; start += chunk)
        {
            int n = Math.Min(chunk, q - start);
            int k = Math.Min(_index.Count, 8 * classes + 32);
            while (true)
            {
                bool complete = true;
                if (queryCodes is not null)
                {
                    var found = _hamming!.Search(queryCodes.AsSpan(start * _index.Words, n * _index.Words), n, k);
                    for (int r = 0; r < n && complete; r++)
                        complete = BestPerClass(found.IndexRow(r), found.ScoreRow(r), classes, out result[start + r], k == _index.Count);
                }
                else if (prepared is not null)
                {
                    var found = codebook!.Search(_backend, prepared.AsSpan(start * _index.Dim, n * _index.Dim), n, _index.Codes, _index.Count, k);
                    for (int r = 0; r < n && complete; r++)
                        complete = BestPerClass(found.IndexRow(r), found.ScoreRow(r), classes, out result[start + r], k == _index.Count);
                }
                else if (projections is not null)
                {
                    var found = _asymmetric!.Search(projections.AsSpan(start * _index.Bits, n * _index.Bits), n, k);
                    for (int r = 0; r < n && complete; r++)
                        complete = BestPerClass(found.IndexRow(r), found.ScoreRow(r), classes, out result[start + r], k == _index.Count);
                }
                else
                {
                    var found = _cosine!.Search(queries.Slice(start * _index.Dim, n * _index.Dim), n, k);
                    for (int r = 0; r < n && complete; r++)
                        complete = BestPerClass(found.IndexRow(r), found.ScoreRow(r), classes, out result[start + r], k == _index.Count);
                }
                if (complete) break;
                k = (int)Math.Min(_index.Count, 4L * k);
            }
        }
        if (projections is not null) NormaliseAsymmetric(result, projections);
        return result;
    }

    /// <summary>
    /// Divides each query's asymmetric scores by Σ |pᵢ|, the score its own code would get. The ranking of one query's
    /// supports is unchanged; what changes is that scores of different queries become comparable, so one reject
    /// threshold fits them all (a raw score grows with the query's projection norm; normalised, the calibrated
    /// threshold turns away 61 % instead of 32 % of unknown drawings at the same 95 % acceptance, bench/RESULTS.md).
    /// </summary>
    private void NormaliseAsymmetric(ClassScore[][] result, float[] projections)
    {
        int p = _index.Bits;
        for (int r = 0; r < result.Length; r++)
        {
            double sum = 0;
            for (int i = 0; i < p; i++) sum += Math.Abs(projections[(long)r * p + i]);
            if (sum > 0)
                for (int j = 0; j < result[r].Length; j++) result[r][j] = result[r][j] with { Score = result[r][j].Score / sum };
        }
    }

    /// <summary>
    /// The first <paramref name="classes"/> distinct classes of a ranked support list, each with its first (best)
    /// score. False when the list holds fewer distinct classes and does not cover every support.
    /// </summary>
    private bool BestPerClass<T>(ReadOnlySpan<int> supports, ReadOnlySpan<T> scores, int classes, out ClassScore[] best, bool whole)
        where T : unmanaged, System.Numerics.INumberBase<T>
    {
        var list = new List<ClassScore>(classes);
        var seen = new HashSet<int>();
        var labels = _index.Labels;
        for (int j = 0; j < supports.Length && list.Count < classes; j++)
        {
            if (supports[j] < 0) break;
            int c = labels[supports[j]];
            if (seen.Add(c)) list.Add(new ClassScore(c, double.CreateTruncating(scores[j])));
        }
        best = list.ToArray();
        return list.Count == classes || whole;
    }

    public void Dispose()
    {
        _hamming?.Dispose();
        _cosine?.Dispose();
        _asymmetric?.Dispose();
    }
}
