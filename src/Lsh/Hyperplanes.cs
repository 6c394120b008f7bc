using Lshk.Kernels;
using Lshk.Kernels.Random;

namespace Lshk.Lsh;

/// <summary>
/// P hyperplanes in D dimensions: normals (P×D, row-major) and optional offsets (P). Bit i of an embedding x
/// is 1 iff dot(normal_i, x) + offset_i ≥ 0. Drawn from a seed with counter-based streams, so the same
/// (family, P, D, seed, range) always gives the same planes, whatever the thread count or device.
/// </summary>
public sealed class Hyperplanes
{
    public Hyperplanes(PlaneFamily family, int count, int dim, float[] normals, float[]? offsets, ulong seed, int range)
    {
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

    public PlaneFamily Family { get; }
    public int Count { get; }
    public int Dim { get; }
    public float[] Normals { get; }
    public float[]? Offsets { get; }
    public ulong Seed { get; }

    /// <summary>R of the integer family (entries in [-R, R)); unused by the others.</summary>
    public int Range { get; }

    /// <summary>Words per packed code.</summary>
    public int Words => Check.Words(Count);

    /// <summary>Draws planes from a family. Offsets, when asked for, come from the same family (scaled by offsetScale).</summary>
    public static Hyperplanes Generate(PlaneFamily family, int count, int dim, ulong seed, bool offsets = false,
        int range = 2, float offsetScale = 1f)
    {
        Check.Positive(count, "planes");
        Check.Positive(dim, "dim");
        if (family == PlaneFamily.Integer) Check.Positive(range, "range");
        var normalStream = new CounterRng(seed, 1);
        var offsetStream = new CounterRng(seed, 2);
        var normals = new float[count * dim];
        for (int i = 0; i < normals.Length; i++) normals[i] = Draw(family, normalStream, (ulong)i, range);
        float[]? offs = null;
        if (offsets)
        {
            offs = new float[count];
            for (int i = 0; i < count; i++) offs[i] = Draw(family, offsetStream, (ulong)i, range) * offsetScale;
        }
        return new Hyperplanes(family, count, dim, normals, offs, seed, range);
    }

    private static float Draw(PlaneFamily family, CounterRng rng, ulong i, int range) => family switch
    {
        PlaneFamily.Gaussian => (float)rng.Normal(i),
        PlaneFamily.Uniform => (float)(2.0 * rng.Uniform(i) - 1.0),
        PlaneFamily.Integer => rng.Below(i, 2 * range) - range,
        _ => throw new ArgumentOutOfRangeException(nameof(family)),
    };

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
