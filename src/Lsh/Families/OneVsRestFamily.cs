using Lshk.Lsh.Fitting;

namespace Lshk.Lsh.Families;

/// <summary>
/// The original study's specialised planes, fitted per episode: one linear SVM per class against the rest, so the
/// code length is the number of ways; asked for more planes than ways, several one-vs-rest codes on random halves of
/// the features and supports make up exactly that many (<see cref="OneVsRestPlanes.FitMulti"/>).
/// </summary>
public sealed class OneVsRestFamily : IEpisodeHashFamily
{
    public static OneVsRestFamily Instance { get; } = new();

    private OneVsRestFamily() { }

    public string Name => "one-rest";
    public IReadOnlyList<string> Aliases => ["one-vs-rest", "ovr"];
    public HashFamilyKind Kind => HashFamilyKind.PerEpisode;
    public string Summary => "one linear SVM per class of the episode's supports (code length = ways; more planes = several codes)";

    /// <summary>
    /// Planes ≤ ways gives the single code (ways planes, one per class: the study's method); more planes gives exactly
    /// that many from several codes.
    /// </summary>
    public Hyperplanes Fit(ReadOnlySpan<float> support, int dim, ReadOnlySpan<int> labels, int classes, int planes, ulong seed)
    {
        int n = PlaneSets.Rows(support.Length, dim, "support embeddings");
        var set = planes <= classes
            ? OneVsRestPlanes.Fit(support, n, dim, labels, classes, new SvmOptions { Seed = seed })
            : OneVsRestPlanes.FitMulti(support, n, dim, labels, classes, planes, seed, new SvmOptions { Seed = seed });
        return PlaneSets.ToHyperplanes(set, this, seed);
    }
}
