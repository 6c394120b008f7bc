using Lshk.Kernels;

namespace Lshk.Lsh.Fitting;

/// <summary>
/// Fitted hyperplanes in the layout the hasher uses: normals P×D (row-major) and offsets P, bit i of x = 1 iff
/// dot(normal_i, x) + offset_i ≥ 0. The centre the fit worked around (a training or support mean) is already
/// folded into the offsets (offset_i = b_i − dot(normal_i, centre)), so hashing raw embeddings with
/// (Normals, Offsets) gives the fitted codes; Center and CenteredOffsets are kept so a caller can store the centre
/// beside the planes, or re-centre them elsewhere (e.g. on a support mean) starting from CenteredOffsets.
/// </summary>
public sealed class PlaneSet
{
    public PlaneSet(int count, int dim, float[] normals, float[] centeredOffsets, float[] center)
    {
        Check.Positive(count, "planes");
        Check.Positive(dim, "dim");
        Check.Length<float>(normals, (long)count * dim, nameof(normals));
        Check.Length<float>(centeredOffsets, count, nameof(centeredOffsets));
        Check.Length<float>(center, dim, nameof(center));
        Check.Finite(normals, dim, nameof(normals));
        Check.Finite(centeredOffsets, 0, nameof(centeredOffsets));
        Check.Finite(center, 0, nameof(center));
        Count = count;
        Dim = dim;
        Normals = normals;
        CenteredOffsets = centeredOffsets;
        Center = center;
        Offsets = FoldCenter(normals, centeredOffsets, center, count, dim);
    }

    public int Count { get; }
    public int Dim { get; }

    /// <summary>P×D row-major plane normals.</summary>
    public float[] Normals { get; }

    /// <summary>Offsets for raw (uncentred) embeddings: the centre is folded in.</summary>
    public float[] Offsets { get; }

    /// <summary>Offsets for embeddings that have had Center subtracted (zero for PCA and ITQ).</summary>
    public float[] CenteredOffsets { get; }

    /// <summary>The mean the planes were fitted around.</summary>
    public float[] Center { get; }

    /// <summary>dot(normal_i, x) + offset_i in float64: the value whose sign is bit i (a reference for tests and callers).</summary>
    public double Project(ReadOnlySpan<float> x, int plane)
    {
        Check.Length(x, Dim, nameof(x));
        double dot = Offsets[plane];
        for (int j = 0; j < Dim; j++) dot += (double)Normals[plane * Dim + j] * x[j];
        return dot;
    }

    /// <summary>Bit i of x under the hasher's convention (≥ 0 gives 1).</summary>
    public bool Bit(ReadOnlySpan<float> x, int plane) => Project(x, plane) >= 0;

    // Same arithmetic as Hyperplanes.OffsetsCenteredAt (double accumulation), so both paths give identical offsets.
    private static float[] FoldCenter(float[] normals, float[] offsets, float[] center, int count, int dim)
    {
        var result = new float[count];
        for (int i = 0; i < count; i++)
        {
            double dot = 0;
            for (int j = 0; j < dim; j++) dot += (double)normals[i * dim + j] * center[j];
            result[i] = (float)(offsets[i] - dot);
        }
        return result;
    }
}
