using Lshk.Lsh;
using Lshk.Lsh.Quantization;

namespace Lshk.App.Evaluation;

/// <summary>
/// One hashing configuration of the grid: a family at a requested plane count. Random and fitted families have
/// <see cref="Fixed"/> planes, the same for every episode (random: drawn from the grid's seed; fitted: fitted once to
/// the training-class embeddings); a per-episode family (one-rest) has none and fits each episode's supports.
/// <see cref="OnSupportMean"/>: fitted (or learned) planes moved to pass through the episode's support mean instead of
/// where they were fitted (or trained) to pass: the normals kept, the offsets dropped, the support mean subtracted.
/// A codebook family (pq) has no planes but a <see cref="Codebook"/>, fitted once like fitted planes.
/// </summary>
public sealed record HashConfig(IHashFamily Family, int Requested, Hyperplanes? Fixed, bool OnSupportMean = false)
{
    /// <summary>The product quantiser of a codebook family (then <see cref="Fixed"/> is null).</summary>
    public ProductCodebook? Codebook { get; init; }

    /// <summary>Centring names, as the CSV and JSON report them.</summary>
    public const string SupportMean = "support-mean", TrainingMean = "training-mean", Learned = "learned", None = "none";

    /// <summary>
    /// What the codes are centred on: random planes on the episode's support mean when the grid centres (else
    /// nothing), fitted planes on the training mean folded into their offsets, one-rest planes on the support mean
    /// their SVMs were fitted around.
    /// </summary>
    public string Center(bool gridCenters) => Family.Kind switch
    {
        HashFamilyKind.Fitted or HashFamilyKind.Codebook => OnSupportMean ? SupportMean : TrainingMean,
        HashFamilyKind.Trained => OnSupportMean ? SupportMean : Learned,
        HashFamilyKind.PerEpisode => SupportMean,
        _ => gridCenters ? SupportMean : None,
    };

    /// <summary>
    /// Whether the runner subtracts the episode's support mean before hashing: random planes when the grid centres,
    /// fitted planes asked to (<see cref="OnSupportMean"/>); the others carry their centre.
    /// </summary>
    public bool CentersOnSupport(bool gridCenters) => (Family.Kind == HashFamilyKind.Random && gridCenters) || OnSupportMean;

    /// <summary>Whether a model's stored codebook serves a codebook family at a length (then nothing is fitted).</summary>
    public static bool StoresCodebook(ProductCodebook? stored, IHashFamily family, int bits) =>
        stored is not null && stored.Family == family && stored.Bits == bits;

    /// <summary>Whether a model's stored planes serve a fitted family at a plane count (then nothing is fitted).</summary>
    public static bool Stores(Hyperplanes? stored, IHashFamily family, int planes) =>
        stored is not null && stored.Family == family && stored.Count == planes;

    /// <summary>
    /// The configurations of a grid: random planes drawn from its seed, a model's <paramref name="stored"/> planes
    /// where they are of the family and count asked for, other fitted planes fitted to
    /// <paramref name="training"/> (N×dim embeddings of the training classes only; required when the grid names a fitted family).
    /// </summary>
    public static List<HashConfig> For(EvaluationGrid grid, int dim, float[]? training, Hyperplanes? stored = null,
        ProductCodebook? storedCodebook = null)
    {
        var configs = new List<HashConfig>();
        foreach (var family in grid.Families)
        {
            if (family is ICodebookFamily codebooks)
            {
                if (!grid.Methods.Contains(MatchMethod.Asymmetric))
                    throw new SettingException("methods", $"'{family.Name}' codes are scored only by the {MatchMethod.Asymmetric.Name()} method, which the grid does not run");
                foreach (int p in grid.Planes)
                {
                    var codebook = StoresCodebook(storedCodebook, family, p) ? storedCodebook! : codebooks.Fit(training
                        ?? throw new ArgumentException($"hash family '{family.Name}' is fitted to training-class embeddings, and none were given"),
                        dim, p, grid.Seed);
                    configs.AddRange(AtEachCenter(new HashConfig(family, p, null) { Codebook = codebook }, grid));
                }
                continue;
            }
            if (family.Kind == HashFamilyKind.Trained)
            {
                // Trained planes exist at one length, the one the model was trained with, whatever the grid's counts.
                var trained = stored is not null && stored.Family == family ? new HashConfig(family, stored.Count, stored)
                    : throw new SettingException("hash", $"'{family.Name}' planes are {HashFamilies.Describe(family.Kind)}, and this model has none (it was trained without a hash layer)");
                configs.AddRange(AtEachCenter(trained, grid));
                continue;
            }
            foreach (int p in grid.Planes)
            {
                var config = family switch
                {
                    IRandomHashFamily random => new HashConfig(family, p, random.Draw(p, dim, grid.Seed, PlaneDrawOptions.Default with { Range = grid.IntegerRange })),
                    IFittedHashFamily when Stores(stored, family, p) => new HashConfig(family, p, stored),
                    IFittedHashFamily fitted => new HashConfig(family, p, fitted.Fit(training
                        ?? throw new ArgumentException($"hash family '{family.Name}' is fitted to training-class embeddings, and none were given"),
                        dim, p, grid.Seed)),
                    IEpisodeHashFamily => new HashConfig(family, p, null),
                    _ => throw new ArgumentException($"hash family '{family.Name}' is of no kind the evaluation knows"),
                };
                if (family.Kind == HashFamilyKind.Fitted) configs.AddRange(AtEachCenter(config, grid));
                else configs.Add(config);
            }
        }
        return configs;
    }

    // A fitted or learned configuration once per centre the grid asks for.
    private static IEnumerable<HashConfig> AtEachCenter(HashConfig config, EvaluationGrid grid) =>
        grid.FittedCenters.Select(center => center == FittedCenter.TrainingMean ? config : ThroughSupportMean(config));

    // The fitted normals through the episode's support mean: offsets dropped, the runner subtracts the support mean.
    // For PCA and ITQ the planes pass through the training mean with zero offsets around it, so this moves them from
    // one mean to the other and changes nothing else; learned planes lose their trained bias.
    private static HashConfig ThroughSupportMean(HashConfig config)
    {
        if (config.Codebook is not null) return config with { OnSupportMean = true };
        var planes = config.Fixed!;
        var normals = new Hyperplanes(planes.Family, planes.Count, planes.Dim, planes.Normals, offsets: null, planes.Seed, planes.Range);
        return config with { Fixed = normals, OnSupportMean = true };
    }
}
