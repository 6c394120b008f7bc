using Lshk.Kernels;
using Lshk.Kernels.Random;

namespace Lshk.Lsh.Fitting;

/// <summary>
/// Per-episode planes from the support set, as the original study's "specialised planes": for each class, a linear
/// SVM (hinge, C = 1) separating that class's supports from the rest; the plane's normal is w and its offset b, so
/// bit c of a query says "looks like class c". The code length is the number of ways.
/// <para>
/// The SVMs see the supports centred on their own mean, and the mean is folded back into the offsets: the SVM
/// regularises its bias like a weight, and ReLU embeddings far from the origin would otherwise need a large bias and
/// pay for it in the margin.
/// </para>
/// </summary>
public static class OneVsRestPlanes
{
    // Seeds the per-plane SVM visiting orders, apart from the bagging draws.
    private const ulong SvmSeedStream = 1;

    /// <summary>One plane per class (ways planes), plane c = class c against the rest.</summary>
    public static PlaneSet Fit(ReadOnlySpan<float> support, int n, int dim, ReadOnlySpan<int> labels, int ways,
        SvmOptions? options = null)
    {
        var episode = Episode.Create(support, n, dim, labels, ways);
        var all = Enumerable.Range(0, n).ToArray();
        var features = Enumerable.Range(0, dim).ToArray();
        var normals = new float[ways * dim];
        var offsets = new float[ways];
        options ??= new SvmOptions();
        for (int c = 0; c < ways; c++)
            episode.FitPlane(c, all, features, PlaneOptions(options, c), normals.AsSpan(c * dim, dim), out offsets[c]);
        return new PlaneSet(ways, dim, normals, offsets, episode.CenterAsFloat());
    }

    /// <summary>
    /// Exactly `planes` planes (e.g. 64 or 128 for a 20-way episode) as several one-vs-rest codes: round 0 is
    /// Fit's code on everything; each later round fits every class again on a seeded random half of the features
    /// and of each class's supports (the random-subspace and bagging ideas), so its planes differ from round 0's
    /// even at 1 shot, where there is nothing to bag. A last, partial round covers a seeded random subset of the
    /// classes. Plane r·ways + c is round r's plane for class c (in the partial round, its k-th chosen class).
    /// </summary>
    public static PlaneSet FitMulti(ReadOnlySpan<float> support, int n, int dim, ReadOnlySpan<int> labels, int ways,
        int planes, ulong seed, SvmOptions? options = null)
    {
        Check.Positive(planes, "planes");
        var episode = Episode.Create(support, n, dim, labels, ways);
        options ??= new SvmOptions();
        var normals = new float[planes * dim];
        var offsets = new float[planes];
        int rounds = (planes + ways - 1) / ways;
        for (int round = 0; round < rounds; round++)
        {
            var draw = new MultiCodeRound(seed, round);
            int[] rows = round == 0 ? Enumerable.Range(0, n).ToArray() : draw.Supports(episode.Labels, ways);
            int[] features = round == 0 ? Enumerable.Range(0, dim).ToArray() : draw.Features(dim);
            int[] classes = draw.Classes(ways, Math.Min(ways, planes - round * ways));
            for (int k = 0; k < classes.Length; k++)
            {
                int plane = round * ways + k;
                episode.FitPlane(classes[k], rows, features, PlaneOptions(options, round * ways + classes[k]), normals.AsSpan(plane * dim, dim), out offsets[plane]);
            }
        }
        return new PlaneSet(planes, dim, normals, offsets, episode.CenterAsFloat());
    }

    // Each (round, class) SVM gets its own visiting order; round 0's are Fit's, so round 0 reproduces Fit exactly.
    private static SvmOptions PlaneOptions(SvmOptions options, int roundClass) =>
        options with { Seed = new CounterRng(options.Seed, SvmSeedStream).Bits((ulong)roundClass) };
}
