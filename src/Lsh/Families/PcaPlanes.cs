using Lshk.Core;
using Lshk.Lsh.Fitting;

namespace Lshk.Lsh.Families;

/// <summary>The top-P principal directions of the training embeddings, each a plane through the training mean.</summary>
public sealed class PcaPlanes : FittedPlaneFamily
{
    public static PcaPlanes Instance { get; } = new();

    private PcaPlanes() { }

    public override string Name => "pca";
    public override string Summary => "principal directions of training-class embeddings, through their mean (P ≤ D)";

    protected override void CheckPlanes(int planes, int dim)
    {
        if (planes > dim)
            throw new InputException($"hash family 'pca' has only {dim} directions for {dim}-dimensional embeddings (asked for {planes} planes); use 'itq' for more");
    }

    protected override PlaneSet FitPlanes(ReadOnlySpan<float> embeddings, int n, int dim, int planes, ulong seed) =>
        Pca.Fit(embeddings, n, dim, planes).ToPlanes();
}
