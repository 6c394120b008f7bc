namespace Lshk.Data.Episodes;

/// <summary>How the N classes of an episode are drawn.</summary>
public enum EpisodeMode
{
    /// <summary>From all classes of the split.</summary>
    Unstructured,
    /// <summary>All N from one group (one Omniglot alphabet): the harder original one-shot task.</summary>
    WithinGroup,
}

/// <summary>The shape of an episode: N-way, K-shot, Q queries per class.</summary>
public sealed record EpisodeSpec(int Ways, int Shots, int Queries, EpisodeMode Mode = EpisodeMode.Unstructured)
{
    public override string ToString() =>
        $"{Ways}-way {Shots}-shot, {Queries} queries per class{(Mode == EpisodeMode.WithinGroup ? ", within one group" : "")}";

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
/// </summary>
public sealed record Episode(int[] Classes, int[] Support, int[] Query)
{
    public int Ways => Classes.Length;

    /// <summary>The episode label (0…N−1) of support image j.</summary>
    public int SupportLabel(int j) => j / (Support.Length / Ways);

    /// <summary>The episode label (0…N−1) of query image j.</summary>
    public int QueryLabel(int j) => j / (Query.Length / Ways);
}
