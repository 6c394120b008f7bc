using Lshk.Kernels.Random;
using Lshk.Lsh.Fitting;
using MathNet.Numerics.LinearAlgebra;

namespace Lshk.Tests.Lsh.Fitting;

public class ItqTests
{
    [Fact]
    public void QuantizationErrorNeverIncreases()
    {
        const int n = 2000, d = 16, p = 8;
        float[] x = FittingData.Anisotropic(n, d, Enumerable.Range(0, d).Select(k => 4.0 / (1 + k)).ToArray(), new double[d], 3, out _);
        var itq = Itq.Fit(x, n, d, p, seed: 1);
        Assert.Equal(Itq.DefaultIterations + 1, itq.QuantizationErrors.Length);
        for (int t = 1; t < itq.QuantizationErrors.Length; t++)
        {
            double before = itq.QuantizationErrors[t - 1], after = itq.QuantizationErrors[t];
            // Each step is optimal for its variable, so the error can only fall; allow float64 rounding.
            Assert.True(after <= before * (1 + 1e-12), $"iteration {t}: error rose from {before} to {after}");
        }
        Assert.True(itq.QuantizationErrors[^1] < itq.QuantizationErrors[0], "50 iterations should improve on a random rotation");
    }

    [Fact]
    public void RotationIsOrthogonal()
    {
        const int n = 1500, d = 12, p = 12;
        float[] x = FittingData.Anisotropic(n, d, Enumerable.Range(0, d).Select(k => 1.0 + k).ToArray(), new double[d], 8, out _);
        var r = Itq.Fit(x, n, d, p, seed: 2).Rotation;
        AssertOrthogonal(r, 1e-10);
    }

    [Fact]
    public void OnRotatedCubeClustersItqQuantisesFarBetterThanPcaAndRecoversTheClusters()
    {
        // Points near the vertices of an 8-dimensional cube, hidden by a random rotation inside 12 dimensions
        // (4 extra low-variance dimensions). The covariance is isotropic on the cube's span, so PCA's axes are
        // arbitrary within it and cut the clusters; the best rotation is the one that undoes the hiding one.
        const int n = 4000, d = 12, p = 8, clusters = 32;
        const double noise = 0.15, extraNoise = 0.05;
        var rotation = FittingData.RandomRotation(d, 77);
        var rng = new CounterRng(5, 0);
        var vertices = new int[clusters, p];
        for (int c = 0; c < clusters; c++) for (int k = 0; k < p; k++) vertices[c, k] = rng.Below((ulong)(c * p + k), 2) * 2 - 1;
        var g = RandomArrays.Gaussian((long)n * d, 6, 0);
        var x = new float[n * d];
        var cluster = new int[n];
        for (int r = 0; r < n; r++)
        {
            cluster[r] = r % clusters;
            var local = new double[d];
            for (int k = 0; k < d; k++) local[k] = k < p ? vertices[cluster[r], k] + noise * g[r * d + k] : extraNoise * g[r * d + k];
            for (int j = 0; j < d; j++)
            {
                double v = 0;
                for (int k = 0; k < d; k++) v += rotation[j, k] * local[k];
                x[r * d + j] = (float)v;
            }
        }
        var itq = Itq.Fit(x, n, d, p, seed: 3);
        var pca = Pca.Fit(x, n, d, p);
        var v0 = pca.Project(EmbeddingMatrix.Centered(x, n, d, pca.Mean));
        double pcaError = Itq.Rotate(v0, Matrix<double>.Build.DenseIdentity(p), 0).Errors[0];
        double itqError = itq.QuantizationErrors[^1];
        Assert.True(itqError < 0.5 * pcaError, $"ITQ error {itqError:F3} vs PCA {pcaError:F3}");

        // Every point of a cluster should get that cluster's code: count points off their cluster's majority code.
        var planes = itq.ToPlanes();
        var codes = Enumerable.Range(0, n).Select(r => Code(planes, x.AsSpan(r * d, d))).ToArray();
        int off = 0;
        for (int c = 0; c < clusters; c++)
        {
            var members = Enumerable.Range(0, n).Where(r => cluster[r] == c).Select(r => codes[r]).ToArray();
            var majority = members.GroupBy(code => code).MaxBy(group => group.Count())!.Key;
            off += members.Count(code => code != majority);
        }
        Assert.True(off < n / 100, $"{off} of {n} points are off their cluster's code");
    }

    [Fact]
    public void PlanesGiveTheSignsOfTheRotatedProjections()
    {
        const int n = 800, d = 10, p = 6;
        double[] mean = Enumerable.Range(0, d).Select(j => 2.0 + j).ToArray();
        float[] x = FittingData.Anisotropic(n, d, Enumerable.Range(0, d).Select(k => 3.0 - 0.25 * k).ToArray(), mean, 12, out _);
        var itq = Itq.Fit(x, n, d, p, seed: 4);
        var planes = itq.ToPlanes();
        var v = EmbeddingMatrix.Centered(x, n, d, itq.Mean) * itq.Projection.Transpose() * itq.Rotation;
        int agree = 0, total = 0;
        for (int r = 0; r < n; r++)
            for (int k = 0; k < p; k++)
            {
                // Float32 normals move a projection by ~1e-6 of its size; only points that close to a plane may differ.
                if (Math.Abs(v[r, k]) < 1e-4) continue;
                total++;
                if (planes.Bit(x.AsSpan(r * d, d), k) == v[r, k] >= 0) agree++;
            }
        Assert.Equal(total, agree);
        Assert.True(total > n * p * 0.99);
    }

    [Fact]
    public void SameSeedSamePlanesOtherSeedOtherStart()
    {
        const int n = 600, d = 8, p = 8;
        float[] x = FittingData.Anisotropic(n, d, [4, 3, 2, 2, 1, 1, 0.5, 0.5], new double[d], 21, out _);
        var a = Itq.Fit(x, n, d, p, seed: 9);
        var b = Itq.Fit(x, n, d, p, seed: 9);
        var c = Itq.Fit(x, n, d, p, seed: 10);
        Assert.Equal(a.ToPlanes().Normals, b.ToPlanes().Normals);
        Assert.NotEqual(a.QuantizationErrors[0], c.QuantizationErrors[0]);
    }

    [Fact]
    public void ZeroIterationsKeepsTheRandomStartRotation()
    {
        var v = Matrix<double>.Build.Dense(5, 3, (r, c) => r - c * 0.5);
        var start = RandomMatrices.Orthogonal(3, 1, 1);
        var (rotation, errors) = Itq.Rotate(v, start, 0);
        Assert.Same(start, rotation);
        Assert.Single(errors);
        AssertOrthogonal(start, 1e-12);
    }

    internal static void AssertOrthogonal(Matrix<double> r, double tolerance)
    {
        var gram = r.TransposeThisAndMultiply(r);
        for (int a = 0; a < r.ColumnCount; a++)
            for (int b = 0; b < r.ColumnCount; b++)
                Assert.True(Math.Abs(gram[a, b] - (a == b ? 1 : 0)) <= tolerance, $"RᵀR[{a},{b}] = {gram[a, b]}");
    }

    private static string Code(PlaneSet planes, ReadOnlySpan<float> x)
    {
        var bits = new char[planes.Count];
        for (int k = 0; k < planes.Count; k++) bits[k] = planes.Bit(x, k) ? '1' : '0';
        return new string(bits);
    }
}
