namespace Lshk.Nn;

/// <summary>
/// Which codes the code loss scores as sign() gives them, with the straight-through estimator (the loss's gradient
/// with respect to sign(h) handed to the relaxed code h unchanged, then through tanh's own derivative): off (the
/// relaxed codes, the default), the queries (a query is matched by its bits when pure Hamming matching classifies it,
/// while the supports stay relaxed so their class mean keeps a smooth gradient), or every row.
/// </summary>
public enum StraightThrough { Off, Queries, All }

public static class StraightThroughNames
{
    public static string Name(this StraightThrough rows) => rows.ToString().ToLowerInvariant();

    /// <summary>Parses off, queries or all; null for anything else.</summary>
    public static StraightThrough? Parse(string text) => text.ToLowerInvariant() switch
    {
        "off" or "none" => StraightThrough.Off,
        "queries" or "query" => StraightThrough.Queries,
        "all" => StraightThrough.All,
        _ => null,
    };
}
