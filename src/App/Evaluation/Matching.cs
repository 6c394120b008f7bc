using Lshk.Kernels;

namespace Lshk.App.Evaluation;

/// <summary>
/// The matching methods, each as one call: supports with their class labels (0 … classes−1, in any order) and
/// queries in, the predicted class of every query out. Every step runs on the backend (its indexes, prototypes,
/// projections); ties go to the lower support or class index, so predictions are deterministic.
/// Shared by <c>lshk eval</c> (on episodes) and the commands that classify with a model.
/// </summary>
public static class Matching
{
    /// <summary>Class of the support with the highest cosine similarity.</summary>
    public static int[] CosineNearest(IComputeBackend backend, ReadOnlySpan<float> support, int n, int dim,
        ReadOnlySpan<int> labels, ReadOnlySpan<float> queries, int q)
    {
        using var index = backend.CreateCosineIndex(support, n, dim);
        return LabelsOf(index.Search(queries, q, 1).Indices, labels);
    }

    /// <summary>The class whose mean embedding has the highest cosine similarity.</summary>
    public static int[] CosineMean(IComputeBackend backend, ReadOnlySpan<float> support, int n, int dim,
        ReadOnlySpan<int> labels, int classes, ReadOnlySpan<float> queries, int q)
    {
        var means = new float[classes * dim];
        backend.ClassMeans(support, n, dim, labels, classes, means);
        using var index = backend.CreateCosineIndex(means, classes, dim);
        return index.Search(queries, q, 1).Indices;
    }

    /// <summary>
    /// The class whose mean m is nearest to the query x in Euclidean distance. Since ‖x − m‖² = ‖x‖² − 2(x·m − ½‖m‖²)
    /// and ‖x‖² is the same for every class, the nearest mean is the one with the highest x·m − ½‖m‖²: the backend's
    /// projection op computes exactly that with the means as "planes" and −½‖m‖² as their offsets.
    /// </summary>
    public static int[] EuclideanMean(IComputeBackend backend, ReadOnlySpan<float> support, int n, int dim,
        ReadOnlySpan<int> labels, int classes, ReadOnlySpan<float> queries, int q)
    {
        var means = new float[classes * dim];
        backend.ClassMeans(support, n, dim, labels, classes, means);
        var offsets = new float[classes];
        for (int c = 0; c < classes; c++)
        {
            double norm = 0;
            for (int j = 0; j < dim; j++) norm += (double)means[c * dim + j] * means[c * dim + j];
            offsets[c] = (float)(-0.5 * norm);
        }
        var scores = new float[(long)q * classes];
        backend.Project(queries, q, dim, means, offsets, classes, scores);
        var result = new int[q];
        for (int r = 0; r < q; r++) result[r] = ArgMax(scores.AsSpan(r * classes, classes));
        return result;
    }

    /// <summary>Class of the support whose code is nearest in Hamming distance.</summary>
    public static int[] HammingNearest(IComputeBackend backend, ReadOnlySpan<uint> supportCodes, int n, int bits,
        ReadOnlySpan<int> labels, ReadOnlySpan<uint> queryCodes, int q)
    {
        using var index = backend.CreateHammingIndex(supportCodes, n, bits);
        return LabelsOf(index.Search(queryCodes, q, 1).Indices, labels);
    }

    /// <summary>The class whose majority-vote code is nearest in Hamming distance.</summary>
    public static int[] HammingMajority(IComputeBackend backend, ReadOnlySpan<uint> supportCodes, int n, int bits,
        ReadOnlySpan<int> labels, int classes, ReadOnlySpan<uint> queryCodes, int q)
    {
        var majority = new uint[classes * Check.Words(bits)];
        backend.MajorityCodes(supportCodes, n, bits, labels, classes, majority);
        using var index = backend.CreateHammingIndex(majority, classes, bits);
        return index.Search(queryCodes, q, 1).Indices;
    }

    /// <summary>
    /// Class of the support with the highest asymmetric score Σᵢ pᵢ·bᵢ: supports as P-bit codes (bᵢ = ±1), queries as
    /// their P real projections (made with the same planes and centre as the codes).
    /// </summary>
    public static int[] Asymmetric(IComputeBackend backend, ReadOnlySpan<uint> supportCodes, int n, int bits,
        ReadOnlySpan<int> labels, ReadOnlySpan<float> queryProjections, int q)
    {
        using var index = backend.CreateAsymmetricIndex(supportCodes, n, bits);
        return LabelsOf(index.Search(queryProjections, q, 1).Indices, labels);
    }

    /// <summary>
    /// Class of the support whose product-quantiser reconstruction has the highest cosine with the query: supports as
    /// codes of <paramref name="codebook"/> (made with the same <paramref name="shift"/>), queries as raw embeddings.
    /// </summary>
    public static int[] ProductCodes(IComputeBackend backend, Lshk.Lsh.Quantization.ProductCodebook codebook,
        ReadOnlySpan<uint> supportCodes, int n, ReadOnlySpan<int> labels, ReadOnlySpan<float> queries, int q, float[]? shift) =>
        LabelsOf(codebook.Search(backend, queries, q, supportCodes, n, shift, 1).Indices, labels);

    /// <summary>Class of the support with the highest sigmoid LSH score between raw projections.</summary>
    public static int[] Sigmoid(IComputeBackend backend, ReadOnlySpan<float> supportProjections, int n, int planes,
        ReadOnlySpan<int> labels, ReadOnlySpan<float> queryProjections, int q, float sharpness)
    {
        var top = backend.SigmoidTopK(queryProjections, q, supportProjections, n, planes, sharpness, 1);
        return LabelsOf(top.Indices, labels);
    }

    /// <summary>Index of the largest value, the lowest index among equals.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    private static int[] LabelsOf(int[] supportIndices, ReadOnlySpan<int> labels)
    {
        var result = new int[supportIndices.Length];
        for (int r = 0; r < result.Length; r++) result[r] = supportIndices[r] < 0 ? -1 : labels[supportIndices[r]];
        return result;
    }
}
