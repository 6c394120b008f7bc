using Lshk.Data.Episodes;
using Lshk.Lsh;

namespace Lshk.App.Evaluation;

/// <summary>
/// What <see cref="EvaluationRunner"/> measures: every (ways, shots) episode shape, every hash family and plane count,
/// every method, all on the same <see cref="Episodes"/> episodes per shape. <see cref="Center"/>: hash random planes after
/// subtracting the episode's support mean (fitted planes carry the training mean, one-rest planes the support mean;
/// off is the original study's setting). <see cref="Sharpness"/>: k of the sigmoid score (the study: 1 for MNIST,
/// 50 elsewhere). <see cref="Threads"/>: episodes evaluated at once (0 = one per core); results do not depend on it.
/// </summary>
public sealed record EvaluationGrid(int[] Ways, int[] Shots, int[] Planes, IHashFamily[] Families, int Episodes,
    int Queries = 15, EpisodeMode Mode = EpisodeMode.Unstructured, bool Center = true, ulong Seed = 1,
    float Sharpness = SigmoidScore.DefaultSharpness, int Threads = 0)
{
    public IReadOnlyList<MatchMethod> Methods { get; init; } = MatchMethods.Default;

    /// <summary>
    /// Where fitted planes (PCA, ITQ) pass: through the training mean they were fitted around (stored with them), the
    /// episode's support mean, or both (a row each, the CSV's center column telling them apart). Learned planes
    /// (a hash layer's) keep their trained bias at <see cref="FittedCenter.TrainingMean"/>.
    /// </summary>
    public IReadOnlyList<FittedCenter> FittedCenters { get; init; } = [FittedCenter.TrainingMean];

    /// <summary>R of the integer family: plane entries are integers in [-R, R) (the study's scripts varied it).</summary>
    public int IntegerRange { get; init; } = PlaneDrawOptions.DefaultRange;

    /// <summary>
    /// Whether <see cref="Queries"/> counts the queries of a whole episode, each of a class drawn at random (the
    /// study's trials: 1), rather than the queries of each class.
    /// </summary>
    public bool QueriesPerEpisode { get; init; }

    /// <summary>
    /// Also measure the constant protocol: per (ways, shots) one episode (the first of <see cref="Seed"/>, or of
    /// <see cref="Replay"/>), its support set and query list scored by every method, with a Wilson interval over its
    /// queries; reported next to the fresh-episode rows (see <see cref="EvaluationProtocol"/>).
    /// </summary>
    public bool FixedSupport { get; init; }

    /// <summary>Episodes to replay instead of drawing them: they fix the grid's ways, shots, queries, mode, seed and count (<see cref="Replaying"/>).</summary>
    public EpisodeList? Replay { get; init; }

    /// <summary>The episode shape of one (ways, shots).</summary>
    public EpisodeSpec Spec(int ways, int shots) => new(ways, shots, Queries, Mode, QueriesPerEpisode);

    /// <summary>This grid set to replay <paramref name="list"/>: its one shape, its queries, mode and seed, all its episodes.</summary>
    public EvaluationGrid Replaying(EpisodeList list) => this with
    {
        Ways = [list.Spec.Ways], Shots = [list.Spec.Shots], Queries = list.Spec.Queries, Mode = list.Spec.Mode,
        QueriesPerEpisode = list.Spec.QueriesPerEpisode, Seed = list.Seed, Episodes = list.Episodes.Count, Replay = list,
    };

    /// <summary>
    /// The short summary printed after training: cosine against Hamming LSH (Gaussian planes, centred) at 16, 32, 64
    /// and 128 planes, 5- and 20-way 1-shot, plus the Euclidean class-mean rule the prototypical loss trains for.
    /// </summary>
    public static EvaluationGrid TrainingSummary(int episodes = 1000, ulong seed = 1) =>
        new([5, 20], [1], [16, 32, 64, 128], [PlaneFamily.Gaussian], episodes, Seed: seed)
        {
            Methods = [MatchMethod.CosineNearest, MatchMethod.EuclideanMean, MatchMethod.HammingNearest],
        };

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public EvaluationGrid Validated()
    {
        static void Positive(IReadOnlyList<int> values, string name)
        {
            if (values.Count == 0) throw new SettingException(name, "needs at least one value");
            foreach (int v in values)
                if (v < 1) throw new SettingException(name, $"values must be at least 1 (got {v})");
        }
        Positive(Ways, "ways");
        Positive(Shots, "shots");
        if (Methods.Any(m => m.UsesPlanes()))
        {
            Positive(Planes, "planes");
            if (Families.Length == 0) throw new SettingException("hash", "needs at least one family");
        }
        if (Episodes < 1) throw new SettingException("episodes", $"must be at least 1 (got {Episodes})");
        if (Queries < 1) throw new SettingException("queries", $"must be at least 1 (got {Queries})");
        if (Threads < 0) throw new SettingException("threads", $"must be 0 (one per core) or more (got {Threads})");
        if (!float.IsFinite(Sharpness) || Sharpness <= 0)
            throw new SettingException("sigmoid-k", $"must be a positive finite number (got {Sharpness})");
        if (FittedCenters.Count == 0) throw new SettingException("fitted-center", "needs at least one value");
        if (IntegerRange < 1) throw new SettingException("range", $"must be at least 1 (got {IntegerRange})");
        return this;
    }
}

/// <summary>The mean fitted planes are centred on in an evaluation.</summary>
public enum FittedCenter
{
    /// <summary>The training-class mean the planes were fitted around, or a hash layer's trained bias (what enrolment and the index use).</summary>
    TrainingMean,

    /// <summary>The mean of the episode's support embeddings, as random planes are centred.</summary>
    SupportMean,
}
