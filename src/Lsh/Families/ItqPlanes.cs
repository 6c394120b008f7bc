using Lshk.Lsh.Fitting;

namespace Lshk.Lsh.Families;

/// <summary>
/// Iterative quantisation (PCA then the rotation that minimises quantisation error) of the training embeddings;
/// P &gt; D adds seeded random orthonormal planes (see <see cref="Itq"/>).
/// </summary>
public sealed class ItqPlanes : FittedPlaneFamily
{
    public static ItqPlanes Instance { get; } = new();

    private ItqPlanes() { }

    public override string Name => "itq";
    public override string Summary => "ITQ: PCA of training-class embeddings rotated to minimise quantisation error";

    protected override PlaneSet FitPlanes(ReadOnlySpan<float> embeddings, int n, int dim, int planes, ulong seed) =>
        Itq.Fit(embeddings, n, dim, planes, seed).ToPlanes();
}
