namespace Lshk.Nn;

/// <summary>
/// The names <c>lshk train --final-pool</c> takes for how the last block ends, and the <see cref="ConvNetConfig"/>
/// switches each stands for: on (its 2×2 max-pool, the paper's Conv-4), off (its map flattened as it is, a wider
/// embedding) or average (its map averaged over its positions, <see cref="ConvNetConfig.GlobalAverage"/>).
/// </summary>
public static class FinalPools
{
    public const string Pooled = "on";
    public const string Unpooled = "off";
    public const string Average = "average";

    /// <summary>The canonical name of <paramref name="text"/> (on/off also as true/false, yes/no), or null when it names none.</summary>
    public static string? Normalise(string text) => text.Trim().ToLowerInvariant() switch
    {
        "on" or "true" or "yes" => Pooled,
        "off" or "false" or "no" or "none" => Unpooled,
        "average" or "avg" => Average,
        _ => null,
    };

    /// <summary>The switches of a name (<see cref="Normalise"/>'s forms); an unknown name is an input error.</summary>
    public static (bool FinalPool, bool GlobalAverage) Parse(string text) => Normalise(text) switch
    {
        Pooled => (true, false),
        Unpooled => (false, false),
        Average => (false, true),
        _ => throw new Lshk.Core.InputException($"the last block ends 'on', 'off' or 'average' (got '{text}')"),
    };
}
