namespace Lshk.Lsh;

/// <summary>How hyperplane normals (and offsets) are drawn.</summary>
public enum PlaneFamily
{
    /// <summary>Standard normal entries: SimHash, whose collision rate is 1 − angle/π. The default.</summary>
    Gaussian,
    /// <summary>Uniform in [-1, 1], as in the original study.</summary>
    Uniform,
    /// <summary>Integers in [-R, R), as in the original study.</summary>
    Integer,
}

public static class PlaneFamilies
{
    public static PlaneFamily Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "gaussian" or "simhash" or "normal" => PlaneFamily.Gaussian,
        "uniform" => PlaneFamily.Uniform,
        "integer" or "int" => PlaneFamily.Integer,
        _ => throw new ArgumentException($"unknown hash family '{text}' (expected gaussian, uniform or integer)"),
    };

    public static string Name(this PlaneFamily family) => family.ToString().ToLowerInvariant();
}
