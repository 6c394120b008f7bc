namespace Lshk.Cli.Evaluation;

/// <summary>How a query is matched against an episode's (or an index's) supports.</summary>
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
}

public static class MatchMethods
{
    public static IReadOnlyList<MatchMethod> All { get; } = Enum.GetValues<MatchMethod>();

    /// <summary>Short names used on the command line, in tables, CSV and JSON.</summary>
    public static string Name(this MatchMethod method) => method switch
    {
        MatchMethod.CosineNearest => "cosine",
        MatchMethod.CosineMean => "cosine-mean",
        MatchMethod.EuclideanMean => "euclidean-mean",
        MatchMethod.HammingNearest => "hamming",
        MatchMethod.HammingMajority => "hamming-proto",
        MatchMethod.Sigmoid => "sigmoid",
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    public static MatchMethod Parse(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        foreach (var m in All)
            if (m.Name() == t) return m;
        throw new ArgumentException($"unknown matching method '{text}' (expected {string.Join(", ", All.Select(m => m.Name()))})");
    }

    /// <summary>Whether the method works on hash planes (codes or projections) rather than the embeddings themselves.</summary>
    public static bool UsesPlanes(this MatchMethod method) =>
        method is MatchMethod.HammingNearest or MatchMethod.HammingMajority or MatchMethod.Sigmoid;

    /// <summary>Bytes stored per support: packed bits for codes, P floats for the sigmoid score, D floats for embeddings.</summary>
    public static int BytesPerSupport(this MatchMethod method, int planes, int dim) => method switch
    {
        MatchMethod.HammingNearest or MatchMethod.HammingMajority => (planes + 7) / 8,
        MatchMethod.Sigmoid => 4 * planes,
        _ => 4 * dim,
    };
}
