using Lshk.Core;
using MathNet.Numerics.LinearAlgebra;

namespace Lshk.Lsh.Fitting;

/// <summary>Builds PlaneSets from float64 fits.</summary>
internal static class PlaneSets
{
    /// <summary>Rows of a P×D matrix as normals through a centre (zero offsets around it).</summary>
    public static PlaneSet FromRows(Matrix<double> rows, double[] center)
    {
        int count = rows.RowCount, dim = rows.ColumnCount;
        var normals = new float[count * dim];
        for (int i = 0; i < count; i++)
            for (int j = 0; j < dim; j++) normals[i * dim + j] = (float)rows[i, j];
        return new PlaneSet(count, dim, normals, new float[count], EmbeddingMatrix.ToFloat(center));
    }

    /// <summary>The fitted planes as hyperplanes of a family, the centre folded into the offsets.</summary>
    public static Hyperplanes ToHyperplanes(PlaneSet set, IHashFamily family, ulong seed) =>
        new(family, set.Count, set.Dim, set.Normals, set.Offsets, seed, 0);

    /// <summary>The number of rows of a row-major block of the given width; a length that is no whole number of rows is bad input.</summary>
    public static int Rows(int length, int dim, string name)
    {
        if (dim < 1) throw new InputException($"{name}: embedding dimension must be at least 1 (got {dim})");
        if (length == 0 || length % dim != 0)
            throw new InputException($"{name}: {length} values are not a whole, non-zero number of {dim}-dimensional rows");
        return length / dim;
    }
}
