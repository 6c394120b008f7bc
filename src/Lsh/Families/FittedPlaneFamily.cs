using Lshk.Core;
using Lshk.Lsh.Fitting;

namespace Lshk.Lsh.Families;

/// <summary>
/// The shape shared by the families fitted once to training embeddings (PCA, ITQ): check the block, fit a
/// <see cref="PlaneSet"/>, and hand it on as hyperplanes whose offsets already hold the training mean, so hashing raw
/// embeddings with them gives the fitted codes. A family only says how its planes are fitted.
/// </summary>
public abstract class FittedPlaneFamily : IFittedHashFamily
{
    public abstract string Name { get; }
    public virtual IReadOnlyList<string> Aliases => [];
    public HashFamilyKind Kind => HashFamilyKind.Fitted;
    public abstract string Summary { get; }

    public Hyperplanes Fit(ReadOnlySpan<float> embeddings, int dim, int planes, ulong seed)
    {
        int n = PlaneSets.Rows(embeddings.Length, dim, "training embeddings");
        if (planes < 1) throw new InputException($"hash family '{Name}': planes must be at least 1 (got {planes})");
        CheckPlanes(planes, dim);
        return PlaneSets.ToHyperplanes(FitPlanes(embeddings, n, dim, planes, seed), this, seed);
    }

    /// <summary>The planes fitted to n×dim embeddings.</summary>
    protected abstract PlaneSet FitPlanes(ReadOnlySpan<float> embeddings, int n, int dim, int planes, ulong seed);

    /// <summary>Rejects a plane count this family cannot fit (PCA has only dim directions).</summary>
    protected virtual void CheckPlanes(int planes, int dim) { }
}
