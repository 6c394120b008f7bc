using Lshk.Kernels;

namespace Lshk.Lsh;

/// <summary>
/// Hashes embeddings to packed codes with a set of hyperplanes, optionally after centring: subtracting a mean
/// (the support set's, or a stored one) before hashing. ReLU embeddings sit in the positive orthant, where
/// planes through the origin split them poorly; centring moves the data around the origin.
/// </summary>
public sealed class LshHasher
{
    private readonly float[] _effectiveOffsets;

    public LshHasher(Hyperplanes planes, float[]? center = null)
    {
        Planes = planes;
        if (center is not null) Check.Finite(center, 0, nameof(center));
        Center = center;
        _effectiveOffsets = center is not null ? planes.OffsetsCenteredAt(center) : planes.Offsets ?? new float[planes.Count];
    }

    public Hyperplanes Planes { get; }

    /// <summary>The mean subtracted before hashing, or null.</summary>
    public float[]? Center { get; }

    public int Words => Planes.Words;

    /// <summary>A hasher centred on the mean of the given embeddings (e.g. the support set).</summary>
    public static LshHasher CenteredOn(Hyperplanes planes, ReadOnlySpan<float> x, int n)
    {
        Check.Positive(n, "number of embeddings to centre on");
        Check.Length(x, (long)n * planes.Dim, nameof(x));
        var mean = new double[planes.Dim];
        for (int r = 0; r < n; r++)
            for (int j = 0; j < planes.Dim; j++) mean[j] += x[r * planes.Dim + j];
        var center = new float[planes.Dim];
        for (int j = 0; j < planes.Dim; j++) center[j] = (float)(mean[j] / n);
        return new LshHasher(planes, center);
    }

    /// <summary>N×D embeddings → N×W packed codes.</summary>
    public uint[] Hash(IComputeBackend backend, ReadOnlySpan<float> x, int n)
    {
        Validate(x, n);
        var codes = new uint[(long)n * Words];
        backend.ProjectPack(x, n, Planes.Dim, Planes.Normals, _effectiveOffsets, Planes.Count, codes);
        return codes;
    }

    /// <summary>N×D embeddings → N×P raw projections (what the sigmoid score uses).</summary>
    public float[] Project(IComputeBackend backend, ReadOnlySpan<float> x, int n)
    {
        Validate(x, n);
        var projections = new float[(long)n * Planes.Count];
        backend.Project(x, n, Planes.Dim, Planes.Normals, _effectiveOffsets, Planes.Count, projections);
        return projections;
    }

    private void Validate(ReadOnlySpan<float> x, int n)
    {
        Check.NonNegative(n, nameof(n));
        if (x.Length != (long)n * Planes.Dim)
            throw new ArgumentException(
                $"embeddings have {(n == 0 ? x.Length : x.Length / Math.Max(1, n))} dimensions per row but the planes expect {Planes.Dim}");
        Check.Finite(x, Planes.Dim, "embeddings");
    }
}
