using Lshk.Lsh.Fitting;
using Lshk.Lsh.Quantization;

namespace Lshk.Lsh.Families;

/// <summary>
/// Optimised product quantisation: the unit embedding rotated by a fitted rotation (<see cref="Opq"/>: PCA with the
/// variance spread over the subspaces, then alternating k-means and Procrustes) before <see cref="ProductQuantizerFamily"/>'s
/// codes. Same code layout and asymmetric score; less quantisation error where the embedding's variance is uneven.
/// </summary>
public sealed class OptimizedProductQuantizerFamily : ICodebookFamily
{
    public static OptimizedProductQuantizerFamily Instance { get; } = new();

    private OptimizedProductQuantizerFamily() { }

    public string Name => "opq";
    public IReadOnlyList<string> Aliases => ["optimized-product-quantizer"];
    public HashFamilyKind Kind => HashFamilyKind.Codebook;
    public string Summary => "optimised product quantisation: pq after a rotation fitted to spread the training classes' variance over the subspaces";

    public ProductCodebook Fit(ReadOnlySpan<float> embeddings, int dim, int bits, ulong seed) =>
        ProductCodebook.Fit(this, embeddings, dim, bits, seed, rotate: true);
}
