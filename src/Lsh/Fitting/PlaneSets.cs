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
}
