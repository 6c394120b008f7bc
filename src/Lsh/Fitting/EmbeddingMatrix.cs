using Lshk.Kernels;
using MathNet.Numerics.LinearAlgebra;

namespace Lshk.Lsh.Fitting;

/// <summary>Float32 row-major embeddings to float64 matrices: the mean, the centred data and its covariance.</summary>
public static class EmbeddingMatrix
{
    /// <summary>Checks an N×D embedding block (N ≥ 1, finite values).</summary>
    public static void Validate(ReadOnlySpan<float> x, int n, int dim, string name = "embeddings")
    {
        Check.Positive(n, $"number of {name}");
        Check.Positive(dim, "embedding dimension");
        Check.Length(x, (long)n * dim, name);
        Check.Finite(x, dim, name);
    }

    /// <summary>Column means in float64.</summary>
    public static double[] Mean(ReadOnlySpan<float> x, int n, int dim)
    {
        var mean = new double[dim];
        for (int r = 0; r < n; r++)
            for (int j = 0; j < dim; j++) mean[j] += x[r * dim + j];
        for (int j = 0; j < dim; j++) mean[j] /= n;
        return mean;
    }

    /// <summary>N×D float64 matrix of x − mean.</summary>
    public static Matrix<double> Centered(ReadOnlySpan<float> x, int n, int dim, double[] mean)
    {
        var m = Matrix<double>.Build.Dense(n, dim);
        // MathNet stores column-major: fill one column at a time so writes are contiguous.
        var storage = m.AsColumnMajorArray();
        for (int j = 0; j < dim; j++)
        {
            int column = j * n;
            double mu = mean[j];
            for (int r = 0; r < n; r++) storage[column + r] = x[r * dim + j] - mu;
        }
        return m;
    }

    /// <summary>Sample covariance (divided by N − 1, or by 1 when N = 1) of centred data.</summary>
    public static Matrix<double> Covariance(Matrix<double> centered)
    {
        var cov = centered.TransposeThisAndMultiply(centered);
        return cov.Divide(Math.Max(1, centered.RowCount - 1));
    }

    /// <summary>A float64 vector as float32.</summary>
    public static float[] ToFloat(IEnumerable<double> values) => values.Select(v => (float)v).ToArray();
}
