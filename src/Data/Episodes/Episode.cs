namespace Lshk.Data.Episodes;

/// <summary>How the N classes of an episode are drawn.</summary>
public enum EpisodeMode
{
    /// <summary>From all classes of the split.</summary>
    Unstructured,
    /// <summary>All N from one group (one Omniglot alphabet): the harder original one-shot task.</summary>
    WithinGroup,
}

/// <summary>
/// The shape of an episode: N-way, K-shot, Q queries per class. With <see cref="QueriesPerEpisode"/> (the original
/// study's trials), Q is the number of queries of the whole episode instead, each of a class drawn uniformly at
/// random among the episode's N (so a 1-query trial scores 0 or 1).
/// </summary>
public sealed record EpisodeSpec(int Ways, int Shots, int Queries, EpisodeMode Mode = EpisodeMode.Unstructured,
    bool QueriesPerEpisode = false)
{
    /// <summary>Query images in one episode.</summary>
    public int QueryCount => QueriesPerEpisode ? Queries : Ways * Queries;

    public override string ToString() =>
        $"{Ways}-way {Shots}-shot, {Queries} {(QueriesPerEpisode ? "queries per episode (trials)" : "queries per class")}" +
        (Mode == EpisodeMode.WithinGroup ? ", within one group" : "");

    /// <summary>How queries are counted, as episode files and CSVs name it.</summary>
    public string QueryDrawName => QueriesPerEpisode ? PerEpisode : PerClass;

    public const string PerClass = "per-class", PerEpisode = "per-episode";

    public static bool ParseQueryDraw(string text) => text switch
    {
        PerClass => false,
        PerEpisode => true,
        _ => throw new Lshk.Core.InputException($"unknown query draw '{text}' ({PerClass} or {PerEpisode})"),
    };

    public static EpisodeMode ParseMode(string text) => text.Trim().ToLowerInvariant() switch
    {
        "unstructured" or "any" => EpisodeMode.Unstructured,
        "within-group" or "within-alphabet" or "group" => EpisodeMode.WithinGroup,
        _ => throw new Lshk.Core.InputException($"unknown episode mode '{text}' (unstructured or within-group)"),
    };

    public static string ModeName(EpisodeMode mode) => mode == EpisodeMode.WithinGroup ? "within-group" : "unstructured";
}

/// <summary>
/// One few-shot episode: the dataset classes drawn (episode label j is <c>Classes[j]</c>), the support image
/// indices (<c>Ways × Shots</c>, class-major: the K images of class 0, then of class 1, …) and the query image
/// indices (<c>Ways × Queries</c>, class-major). Indices refer to the dataset the episode was drawn from.
/// Trial episodes (queries per episode, not per class) say the episode label of each query in
/// <see cref="QueryLabels"/>, since their classes are not balanced; null means class-major and balanced.
/// </summary>
public sealed record Episode(int[] Classes, int[] Support, int[] Query, int[]? QueryLabels = null)
{
    public int Ways => Classes.Length;

    /// <summary>The episode label (0…N−1) of support image j.</summary>
    public int SupportLabel(int j) => j / (Support.Length / Ways);

    /// <summary>The episode label (0…N−1) of query image j.</summary>
    public int QueryLabel(int j) => QueryLabels is { } labels ? labels[j] : j / (Query.Length / Ways);
}
