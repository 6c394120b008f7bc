using Lshk.Core;
using Lshk.Kernels;
using Lshk.Lsh.Fitting;

namespace Lshk.Lsh.Quantization;

/// <summary>
/// A product quantiser of unit embeddings (the "pq" and "opq" families): an embedding is scaled to unit length (cosine
/// is what the codes stand in for), rotated if the quantiser has a <see cref="Rotation"/> (opq), split into
/// <see cref="Subspaces"/> runs, and each run coded by one byte, the nearest of 256 centroids k-means fitted to the
/// training classes. A support is kept as those <see cref="Bits"/> bits; a query keeps its real values and scores a
/// support by the cosine to its reconstruction (<see cref="IComputeBackend.ProductCodeTopK"/>), the asymmetric
/// distance of product quantisation (a rotation changes no cosine). Centring: the codebooks are fitted around the
/// training classes; <see cref="ShiftTo"/> moves them to an episode's support mean instead (runs coded as offsets).
/// </summary>
public sealed class ProductCodebook
{
    public ProductCodebook(IHashFamily family, int dim, int subspaces, float[] centroids, float[] mean, ulong seed,
        float[]? rotation = null)
    {
        ArgumentNullException.ThrowIfNull(family);
        Check.Positive(dim, nameof(dim));
        Check.Positive(subspaces, nameof(subspaces));
        if (dim % subspaces != 0) throw new ArgumentException($"{dim} dimensions do not split into {subspaces} equal subspaces");
        Check.Length<float>(centroids, (long)ProductCodes.Centroids * dim, nameof(centroids));
        Check.Length<float>(mean, dim, nameof(mean));
        if (rotation is not null) Check.Length<float>(rotation, (long)dim * dim, nameof(rotation));
        (Family, Dim, Subspaces, Centroids, Mean, Seed, Rotation) = (family, dim, subspaces, centroids, mean, seed, rotation);
    }

    public IHashFamily Family { get; }
    public int Dim { get; }
    public int Subspaces { get; }

    /// <summary>M × 256 × (D/M) centroids, row-major (see <see cref="ProductCodes"/>), of prepared rows.</summary>
    public float[] Centroids { get; }

    /// <summary>The mean of the prepared (unit, rotated) training embeddings the centroids were fitted to.</summary>
    public float[] Mean { get; }

    public ulong Seed { get; }

    /// <summary>D×D orthogonal rotation applied after scaling (row i: the i-th rotated axis), or null (plain pq).</summary>
    public float[]? Rotation { get; }

    /// <summary>Bits per code: one byte per subspace.</summary>
    public int Bits => Subspaces * ProductCodes.BitsPerSubspace;

    public int Words => ProductCodes.Words(Subspaces);

    /// <summary>
    /// Fits a codebook of <paramref name="bits"/> bits (P/8 subspaces of one byte) to N×D training embeddings: their
    /// unit rows, rotated by <see cref="Opq"/> first when <paramref name="rotate"/>, then <see cref="KMeans"/>.
    /// </summary>
    public static ProductCodebook Fit(IHashFamily family, ReadOnlySpan<float> embeddings, int dim, int bits, ulong seed, bool rotate)
    {
        int n = PlaneSets.Rows(embeddings.Length, dim, "training embeddings");
        if (bits < ProductCodes.BitsPerSubspace || bits % ProductCodes.BitsPerSubspace != 0)
            throw new InputException($"hash family '{family.Name}' codes {ProductCodes.BitsPerSubspace} bits per subspace: its length must be a positive multiple of {ProductCodes.BitsPerSubspace} (got {bits})");
        int subspaces = bits / ProductCodes.BitsPerSubspace;
        if (dim % subspaces != 0)
            throw new InputException($"hash family '{family.Name}': {bits} bits are {subspaces} subspaces, which do not split the {dim}-d embedding evenly");
        var unit = UnitRows(embeddings, n, dim);
        if (n < ProductCodes.Centroids)
            throw new InputException($"hash family '{family.Name}' needs at least {ProductCodes.Centroids} training embeddings to fit {ProductCodes.Centroids} centroids per subspace (got {n})");
        float[]? rotation = null;
        float[] centroids;
        if (rotate) (rotation, centroids) = Opq.Fit(unit, n, dim, subspaces, seed);
        else centroids = KMeans.Fit(unit, n, dim, subspaces, seed);
        var unfinished = new ProductCodebook(family, dim, subspaces, centroids, new float[dim], seed, rotation);
        var prepared = unfinished.Prepare(new Lshk.Kernels.Cpu.CpuBackend(), embeddings, n);
        return new ProductCodebook(family, dim, subspaces, centroids, EmbeddingMatrix.ToFloat(EmbeddingMatrix.Mean(prepared, n, dim)), seed, rotation);
    }

    /// <summary>Rows scaled to unit length (a zero row stays zero); norms in float64.</summary>
    public static float[] UnitRows(ReadOnlySpan<float> x, int n, int dim)
    {
        var result = new float[(long)n * dim];
        for (int r = 0; r < n; r++)
        {
            var row = x.Slice(r * dim, dim);
            double squares = 0;
            foreach (float v in row) squares += (double)v * v;
            double scale = squares > 0 ? 1.0 / Math.Sqrt(squares) : 0;
            for (int j = 0; j < dim; j++) result[(long)r * dim + j] = (float)(row[j] * scale);
        }
        return result;
    }

    /// <summary>Rows as the quantiser codes them: unit length, then rotated (<see cref="IComputeBackend.Project"/> onto the rotation's rows).</summary>
    public float[] Prepare(IComputeBackend backend, ReadOnlySpan<float> x, int n)
    {
        var unit = UnitRows(x, n, Dim);
        if (Rotation is null || n == 0) return unit;
        var rotated = new float[unit.LongLength];
        backend.Project(unit, n, Dim, Rotation, [], Dim, rotated);
        return rotated;
    }

    /// <summary>
    /// The shift that centres the codes on the mean of <paramref name="n"/> prepared <paramref name="support"/>
    /// embeddings instead of the training mean: their difference, coded runs being offsets from it.
    /// </summary>
    public float[] ShiftTo(IComputeBackend backend, ReadOnlySpan<float> support, int n)
    {
        Check.Positive(n, "number of embeddings to centre on");
        var mean = EmbeddingMatrix.Mean(Prepare(backend, support, n), n, Dim);
        var shift = new float[Dim];
        for (int j = 0; j < Dim; j++) shift[j] = (float)mean[j] - Mean[j];
        return shift;
    }

    /// <summary>N×D embeddings → N × <see cref="Words"/> codes of their prepared rows (minus <paramref name="shift"/>, if any).</summary>
    public uint[] Encode(IComputeBackend backend, ReadOnlySpan<float> x, int n, float[]? shift = null)
    {
        var prepared = Prepare(backend, x, n);
        if (shift is not null)
            for (long i = 0; i < prepared.LongLength; i++) prepared[i] -= shift[i % Dim];
        var codes = new uint[(long)n * Words];
        backend.QuantizeProducts(prepared, n, Dim, Centroids, Subspaces, codes);
        return codes;
    }

    /// <summary>
    /// The top-k of <paramref name="n"/> coded supports for each raw query by cosine to the support's reconstruction
    /// (its centroids plus <paramref name="shift"/>, the same shift the supports were coded with).
    /// </summary>
    public TopK<float> Search(IComputeBackend backend, ReadOnlySpan<float> queries, int q, ReadOnlySpan<uint> codes, int n,
        float[]? shift, int k) =>
        SearchPrepared(backend, Prepare(backend, queries, q), q, codes, n, shift, k);

    /// <summary><see cref="Search"/> for queries already through <see cref="Prepare"/> (a caller searching them again keeps them).</summary>
    public TopK<float> SearchPrepared(IComputeBackend backend, ReadOnlySpan<float> prepared, int q, ReadOnlySpan<uint> codes, int n,
        float[]? shift, int k) =>
        backend.ProductCodeTopK(prepared, q, codes, n, Dim, Centroids, Subspaces, shift ?? [], k);
}
