using Lshk.Kernels;
using Lshk.Lsh.Quantization;

namespace Lshk.Lsh.Index;

/// <summary>
/// How an index of product-quantiser codes (the pq and opq families) codes its supports: the model's codebook, and the
/// shift that centres the codes on the first enrolment's support mean (null: on the training mean the codebook was
/// fitted around). Frozen like an LSH index's centre: additions and queries are coded and scored against the same shift.
/// </summary>
public sealed record IndexCodebook(ProductCodebook Codebook, float[]? Shift)
{
    /// <summary>The codebook, centred on the mean of <paramref name="n"/> embeddings (or, with <paramref name="center"/> false, not shifted).</summary>
    public static IndexCodebook For(IComputeBackend backend, ProductCodebook codebook, bool center, ReadOnlySpan<float> embeddings, int n) =>
        new(codebook, center && n > 0 ? codebook.ShiftTo(backend, embeddings, n) : null);

    /// <summary>N×D embeddings → N × <see cref="ProductCodebook.Words"/> codes.</summary>
    public uint[] Encode(IComputeBackend backend, ReadOnlySpan<float> embeddings, int n) => Codebook.Encode(backend, embeddings, n, Shift);

    /// <summary>Queries as the codebook scores them (unit length, rotated for opq), once for every search of them.</summary>
    public float[] Prepare(IComputeBackend backend, ReadOnlySpan<float> queries, int q) => Codebook.Prepare(backend, queries, q);

    /// <summary>Each <see cref="Prepare"/>d query's top k of the coded supports by cosine to their reconstruction.</summary>
    public TopK<float> Search(IComputeBackend backend, ReadOnlySpan<float> prepared, int q, ReadOnlySpan<uint> codes, int n, int k) =>
        Codebook.SearchPrepared(backend, prepared, q, codes, n, Shift, k);
}
