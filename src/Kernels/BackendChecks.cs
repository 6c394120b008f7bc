namespace Lshk.Kernels;

/// <summary>
/// The argument checks of each <see cref="IComputeBackend"/> operation and index, one method per operation, called by
/// both backends so that both accept and reject exactly the same calls with the same one-line errors.
/// </summary>
internal static class BackendChecks
{
    /// <summary><see cref="IComputeBackend.Project"/> and <see cref="IComputeBackend.ProjectPack"/>: items, planes and offsets.</summary>
    public static void Projection(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> planes, ReadOnlySpan<float> offsets, int p)
    {
        Check.NonNegative(n, nameof(n));
        Check.Positive(d, nameof(d));
        Check.Positive(p, "planes");
        Check.Length(x, (long)n * d, nameof(x));
        Check.Length(planes, (long)p * d, nameof(planes));
        if (!offsets.IsEmpty) Check.Length(offsets, p, nameof(offsets));
    }

    public static void MajorityCodes(ReadOnlySpan<uint> codes, int n, int bits, ReadOnlySpan<int> labels, int classes,
        ReadOnlySpan<uint> result)
    {
        Check.NonNegative(n, nameof(n));
        Check.Positive(bits, nameof(bits));
        Check.Positive(classes, nameof(classes));
        int words = Check.Words(bits);
        Check.Length(codes, (long)n * words, nameof(codes));
        Check.Length(labels, n, nameof(labels));
        Check.Length(result, (long)classes * words, nameof(result));
        Check.Labels(labels, classes, nameof(labels));
    }

    public static void ClassMeans(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<int> labels, int classes, ReadOnlySpan<float> result)
    {
        Check.NonNegative(n, nameof(n));
        Check.Positive(d, nameof(d));
        Check.Positive(classes, nameof(classes));
        Check.Length(x, (long)n * d, nameof(x));
        Check.Length(labels, n, nameof(labels));
        Check.Length(result, (long)classes * d, nameof(result));
        Check.Labels(labels, classes, nameof(labels));
    }

    public static void SigmoidTopK(ReadOnlySpan<float> queryProjections, int q, ReadOnlySpan<float> supportProjections, int n,
        int p, float sharpness, int k)
    {
        Check.NonNegative(q, nameof(q));
        Check.NonNegative(n, nameof(n));
        Check.Positive(p, "planes");
        Check.Positive(k, nameof(k));
        Check.Length(queryProjections, (long)q * p, nameof(queryProjections));
        Check.Length(supportProjections, (long)n * p, nameof(supportProjections));
        if (!float.IsFinite(sharpness)) throw new ArgumentException($"sharpness must be finite (got {sharpness})");
    }

    /// <summary>A Hamming index's codes; returns the 32-bit words per code.</summary>
    public static int HammingIndex(ReadOnlySpan<uint> codes, int n, int bits)
    {
        Check.NonNegative(n, nameof(n));
        Check.Positive(bits, nameof(bits));
        int words = Check.Words(bits);
        Check.Length(codes, (long)n * words, nameof(codes));
        return words;
    }

    /// <summary><see cref="IComputeBackend.CreateAsymmetricIndex"/>: the same packed support codes as the Hamming index.</summary>
    public static int AsymmetricIndex(ReadOnlySpan<uint> codes, int n, int bits) => HammingIndex(codes, n, bits);

    /// <summary><see cref="IAsymmetricIndex.Search"/>: q rows of <paramref name="bits"/> finite projections.</summary>
    public static void AsymmetricSearch(ReadOnlySpan<float> queryProjections, int q, int bits, int k)
    {
        Check.NonNegative(q, nameof(q));
        Check.Positive(k, nameof(k));
        Check.Length(queryProjections, (long)q * bits, nameof(queryProjections));
        Check.Finite(queryProjections, bits, nameof(queryProjections));
    }

    public static void CosineIndex(ReadOnlySpan<float> x, int n, int d)
    {
        Check.NonNegative(n, nameof(n));
        Check.Positive(d, nameof(d));
        Check.Length(x, (long)n * d, nameof(x));
    }

    /// <summary>A search of <paramref name="q"/> queries of <paramref name="width"/> values each (code words or dimensions).</summary>
    public static void Search<T>(ReadOnlySpan<T> queries, int q, int width, int k)
    {
        Check.NonNegative(q, nameof(q));
        Check.Positive(k, nameof(k));
        Check.Length(queries, (long)q * width, nameof(queries));
    }

    /// <summary><see cref="IComputeBackend.QuantizeProducts"/>: N×D items, M×256×(D/M) centroids; returns D/M.</summary>
    public static int QuantizeProducts(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> centroids, int subspaces,
        ReadOnlySpan<uint> codes)
    {
        Check.NonNegative(n, nameof(n));
        int run = ProductShape(d, centroids, subspaces);
        Check.Length(x, (long)n * d, nameof(x));
        Check.Finite(x, d, nameof(x));
        Check.Length(codes, (long)n * ProductCodes.Words(subspaces), nameof(codes));
        return run;
    }

    /// <summary><see cref="IComputeBackend.ProductCodeTopK"/>: queries, codes, centroids and an optional shift of D floats.</summary>
    public static int ProductCodeTopK(ReadOnlySpan<float> queries, int q, ReadOnlySpan<uint> codes, int n, int d,
        ReadOnlySpan<float> centroids, int subspaces, ReadOnlySpan<float> shift, int k)
    {
        Check.NonNegative(q, nameof(q));
        Check.NonNegative(n, nameof(n));
        Check.Positive(k, nameof(k));
        int run = ProductShape(d, centroids, subspaces);
        Check.Length(queries, (long)q * d, nameof(queries));
        Check.Finite(queries, d, nameof(queries));
        Check.Length(codes, (long)n * ProductCodes.Words(subspaces), nameof(codes));
        if (!shift.IsEmpty) Check.Length(shift, d, nameof(shift));
        return run;
    }

    private static int ProductShape(int d, ReadOnlySpan<float> centroids, int subspaces)
    {
        Check.Positive(d, nameof(d));
        Check.Positive(subspaces, nameof(subspaces));
        if (d % subspaces != 0)
            throw new ArgumentException($"{d} dimensions do not split into {subspaces} equal subspaces");
        Check.Length(centroids, (long)ProductCodes.Centroids * d, nameof(centroids));
        return d / subspaces;
    }
}
