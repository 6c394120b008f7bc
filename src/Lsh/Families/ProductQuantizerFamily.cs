using Lshk.Lsh.Quantization;

namespace Lshk.Lsh.Families;

/// <summary>
/// Product quantisation of unit embeddings (Jégou, Douze &amp; Schmid): P bits are P/8 subspaces of one byte each,
/// every byte the nearest of 256 k-means centroids fitted to training-class embeddings. Not hyperplanes: its codes
/// are scored only asymmetrically, by cosine to the reconstruction (<see cref="ProductCodebook"/>).
/// </summary>
public sealed class ProductQuantizerFamily : ICodebookFamily
{
    public static ProductQuantizerFamily Instance { get; } = new();

    private ProductQuantizerFamily() { }

    public string Name => "pq";
    public IReadOnlyList<string> Aliases => ["product-quantizer"];
    public HashFamilyKind Kind => HashFamilyKind.Codebook;
    public string Summary => "product quantisation: one byte per subspace of the unit embedding, 256 k-means centroids each, fitted to training classes; scored asymmetrically";

    public ProductCodebook Fit(ReadOnlySpan<float> embeddings, int dim, int bits, ulong seed) =>
        ProductCodebook.Fit(this, embeddings, dim, bits, seed, rotate: false);
}
