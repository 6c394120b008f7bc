using Lshk.Data.Episodes;
using Lshk.Lsh;

namespace Lshk.App.Evaluation;

/// <summary>
/// What <see cref="EvaluationRunner"/> measures: every (ways, shots) episode shape, every hash family and plane count,
/// every method, all on the same <see cref="Episodes"/> episodes per shape. <see cref="Center"/>: hash random planes after
/// subtracting the episode's support mean (fitted planes carry the training mean, one-rest planes the support mean). <see cref="Threads"/>: episodes evaluated at once (0 = one per core);
/// results do not depend on it.
/// </summary>
public sealed record EvaluationGrid(int[] Ways, int[] Shots, int[] Planes, IHashFamily[] Families, int Episodes,
    int Queries = 15, EpisodeMode Mode = EpisodeMode.Unstructured, bool Center = true, ulong Seed = 1,
    float Sharpness = SigmoidScore.DefaultSharpness, int Threads = 0)
{
    public IReadOnlyList<MatchMethod> Methods { get; init; } = MatchMethods.Default;

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
        if (!float.IsFinite(Sharpness)) throw new Lshk.Core.InputException($"sigmoid sharpness must be finite (got {Sharpness})");
        return this;
    }
}
