using Lshk.Kernels.Random;

namespace Lshk.Tests.Lsh.Fitting;

/// <summary>Seeded synthetic embeddings with known structure for the fitting tests.</summary>
internal static class FittingData
{
    /// <summary>
    /// N×D rows: mean + Σ_k scale_k·g_k·axis_k with g standard normal and the axes the columns of a seeded random
    /// rotation, so the true covariance is Σ scale_k² axis_k axis_kᵀ (known exactly).
    /// </summary>
    public static float[] Anisotropic(int n, int dim, double[] scales, double[] mean, ulong seed, out double[,] axes)
    {
        axes = RandomRotation(dim, seed + 1000);
        var g = RandomArrays.Gaussian((long)n * dim, seed, 7);
        var x = new float[n * dim];
        for (int r = 0; r < n; r++)
            for (int j = 0; j < dim; j++)
            {
                double v = mean[j];
                for (int k = 0; k < dim; k++) v += scales[k] * g[r * dim + k] * axes[j, k];
                x[r * dim + j] = (float)v;
            }
        return x;
    }

    /// <summary>
    /// Well-separated clusters: `perClass` rows per class around class centres drawn with norm `spread`, plus
    /// isotropic noise of standard deviation `noise`, all shifted by `offset` (as ReLU embeddings sit away from 0).
    /// Labels are row / perClass.
    /// </summary>
    public static float[] Clusters(int classes, int perClass, int dim, double spread, double noise, double offset,
        ulong seed, out int[] labels)
    {
        var centres = RandomArrays.Gaussian((long)classes * dim, seed, 1);
        var g = RandomArrays.Gaussian((long)classes * perClass * dim, seed, 2);
        var x = new float[classes * perClass * dim];
        labels = new int[classes * perClass];
        for (int c = 0; c < classes; c++)
        {
            double norm = Math.Sqrt(Enumerable.Range(0, dim).Sum(j => (double)centres[c * dim + j] * centres[c * dim + j]));
            for (int s = 0; s < perClass; s++)
            {
                int r = c * perClass + s;
                labels[r] = c;
                for (int j = 0; j < dim; j++)
                    x[r * dim + j] = (float)(offset + spread * centres[c * dim + j] / norm + noise * g[r * dim + j]);
            }
        }
        return x;
    }

    /// <summary>A seeded orthogonal dim×dim matrix (Gram–Schmidt on Gaussian columns, in float64).</summary>
    public static double[,] RandomRotation(int dim, ulong seed)
    {
        var g = RandomArrays.Gaussian((long)dim * dim, seed, 3);
        var q = new double[dim, dim];
        for (int c = 0; c < dim; c++)
        {
            var v = new double[dim];
            for (int j = 0; j < dim; j++) v[j] = g[c * dim + j];
            for (int pass = 0; pass < 2; pass++)
                for (int k = 0; k < c; k++)
                {
                    double dot = 0;
                    for (int j = 0; j < dim; j++) dot += v[j] * q[j, k];
                    for (int j = 0; j < dim; j++) v[j] -= dot * q[j, k];
                }
            double norm = Math.Sqrt(v.Sum(t => t * t));
            for (int j = 0; j < dim; j++) q[j, c] = v[j] / norm;
        }
        return q;
    }

    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
