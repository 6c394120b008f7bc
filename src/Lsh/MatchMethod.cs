namespace Lshk.Lsh;

/// <summary>
/// How a query is matched against supports: the methods <c>lshk eval</c> compares on episodes; the three that need
/// only stored codes or embeddings (<see cref="MatchMethods.ForIndex"/>) also classify against a support index.
/// </summary>
public enum MatchMethod
{
    /// <summary>Dense baseline: the support with the highest cosine similarity.</summary>
    CosineNearest,
    /// <summary>The class whose mean embedding has the highest cosine similarity.</summary>
    CosineMean,
    /// <summary>The class whose mean embedding is nearest in Euclidean distance (the prototypical-network rule).</summary>
    EuclideanMean,
    /// <summary>The support whose hash code is nearest in Hamming distance.</summary>
    HammingNearest,
    /// <summary>The class whose majority-vote code is nearest in Hamming distance.</summary>
    HammingMajority,
    /// <summary>The original study's sigmoid LSH score: the support with the highest Σ sigmoid(k·s_i·q_i) over raw projections.</summary>
    Sigmoid,
    /// <summary>
    /// The support with the highest Σᵢ pᵢ·bᵢ: supports stored as P bits (bᵢ = ±1), the query keeping its P real
    /// projections (the asymmetric distance of binary embeddings; no ties at the top, unlike Hamming).
    /// </summary>
    Asymmetric,
}

public static class MatchMethods
{
    public static IReadOnlyList<MatchMethod> All { get; } = Enum.GetValues<MatchMethod>();

    /// <summary>
    /// What <c>lshk eval</c> runs unless told which: the six methods of its original grid, so default tables and CSV
    /// files keep their rows; <see cref="MatchMethod.Asymmetric"/> is asked for by name.
    /// </summary>
    public static IReadOnlyList<MatchMethod> Default { get; } = All.Where(m => m != MatchMethod.Asymmetric).ToArray();

    /// <summary>Short names used on the command line, in tables, CSV and JSON.</summary>
    public static string Name(this MatchMethod method) => method switch
    {
        MatchMethod.CosineNearest => "cosine",
        MatchMethod.CosineMean => "cosine-mean",
        MatchMethod.EuclideanMean => "euclidean-mean",
        MatchMethod.HammingNearest => "hamming",
        MatchMethod.HammingMajority => "hamming-proto",
        MatchMethod.Sigmoid => "sigmoid",
        MatchMethod.Asymmetric => "asymmetric",
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    /// <summary>The methods an index classifies with (it keeps codes and embeddings, not raw projections or class means).</summary>
    public static IReadOnlyList<MatchMethod> ForIndex { get; } =
        [MatchMethod.HammingNearest, MatchMethod.HammingMajority, MatchMethod.CosineNearest, MatchMethod.Asymmetric];

    public static MatchMethod Parse(string text) => Parse(text, All);

    /// <summary>One of <see cref="ForIndex"/>; "hamming-prototype" and "majority" also name the majority-code method.</summary>
    public static MatchMethod ParseForIndex(string text) =>
        text.Trim().ToLowerInvariant() is "hamming-prototype" or "majority" ? MatchMethod.HammingMajority : Parse(text, ForIndex);

    private static MatchMethod Parse(string text, IReadOnlyList<MatchMethod> allowed)
    {
        string t = text.Trim().ToLowerInvariant();
        foreach (var m in allowed)
            if (m.Name() == t) return m;
        var names = allowed.Select(m => m.Name()).ToArray();
        throw new Lshk.Core.InputException($"unknown method '{text}' (expected {string.Join(", ", names[..^1])} or {names[^1]})");
    }

    /// <summary>Whether scores are whole XNOR counts (the Hamming methods) rather than similarities.</summary>
    public static bool CountsBits(this MatchMethod method) => method is MatchMethod.HammingNearest or MatchMethod.HammingMajority;

    /// <summary>Whether the method works on hash planes (codes or projections) rather than the embeddings themselves.</summary>
    public static bool UsesPlanes(this MatchMethod method) =>
        method is MatchMethod.HammingNearest or MatchMethod.HammingMajority or MatchMethod.Sigmoid or MatchMethod.Asymmetric;

    /// <summary>Bytes stored per support: packed bits for codes, P floats for the sigmoid score, D floats for embeddings.</summary>
    public static int BytesPerSupport(this MatchMethod method, int planes, int dim) => method switch
    {
        MatchMethod.HammingNearest or MatchMethod.HammingMajority or MatchMethod.Asymmetric => (planes + 7) / 8,
        MatchMethod.Sigmoid => 4 * planes,
        _ => 4 * dim,
    };
}
