using Lshk.Kernels;

namespace Lshk.Lsh;

/// <summary>
/// P hyperplanes in D dimensions: normals (P×D, row-major) and optional offsets (P), with the family that made them.
/// Bit i of an embedding x is 1 iff dot(normal_i, x) + offset_i ≥ 0. Random families draw them from a seed with
/// counter-based streams, so the same (family, P, D, seed, range) always gives the same planes, whatever the thread
/// count or device; fitted families compute them, and they are stored with whatever uses them.
/// </summary>
public sealed class Hyperplanes
{
    public Hyperplanes(IHashFamily family, int count, int dim, float[] normals, float[]? offsets, ulong seed, int range)
    {
        ArgumentNullException.ThrowIfNull(family);
        Check.Positive(count, "planes");
        Check.Positive(dim, "dim");
        Check.Length<float>(normals, (long)count * dim, nameof(normals));
        if (offsets is not null) Check.Length<float>(offsets, count, nameof(offsets));
        Check.Finite(normals, dim, nameof(normals));
        if (offsets is not null) Check.Finite(offsets, 0, nameof(offsets));
        Family = family;
        Count = count;
        Dim = dim;
        Normals = normals;
        Offsets = offsets;
        Seed = seed;
        Range = range;
    }

    /// <summary>The family that made these planes; its name is what files store.</summary>
    public IHashFamily Family { get; }
    public int Count { get; }
    public int Dim { get; }
    public float[] Normals { get; }
    public float[]? Offsets { get; }

    /// <summary>The seed the planes were drawn (or a fit was started) from.</summary>
    public ulong Seed { get; }

    /// <summary>R of the integer family (entries in [-R, R)); unused by the others.</summary>
    public int Range { get; }

    /// <summary>Words per packed code.</summary>
    public int Words => Check.Words(Count);

    /// <summary>
    /// Draws planes from a random family (<see cref="IRandomHashFamily"/>; any other kind is an
    /// <see cref="ArgumentException"/>). Offsets, when asked for, come from the same family (scaled by offsetScale).
    /// </summary>
    public static Hyperplanes Generate(IHashFamily family, int count, int dim, ulong seed, bool offsets = false,
        int range = PlaneDrawOptions.DefaultRange, float offsetScale = 1f) =>
        HashFamilies.RequireRandom(family).Draw(count, dim, seed, new PlaneDrawOptions(offsets, range, offsetScale));

    /// <summary>
    /// Offsets that hash x − center exactly as these planes hash x: offset_i − dot(normal_i, center)
    /// (computed in double). Centring thus costs nothing in the kernels.
    /// </summary>
    public float[] OffsetsCenteredAt(ReadOnlySpan<float> center)
    {
        Check.Length(center, Dim, nameof(center));
        var result = new float[Count];
        for (int i = 0; i < Count; i++)
        {
            double dot = 0;
            for (int j = 0; j < Dim; j++) dot += (double)Normals[i * Dim + j] * center[j];
            result[i] = (float)((Offsets?[i] ?? 0f) - dot);
        }
        return result;
    }
}
