using Lshk.Lsh.Fitting;

namespace Lshk.Tests.Lsh.Fitting;

public class PcaTests
{
    [Fact]
    public void HandComputableCovarianceGivesItsAxesAndVariances()
    {
        // Four points around (10, -5): (±3, 0) and (0, ±1). Sample covariance (÷3) = diag(18, 2)/3 = diag(6, 2/3).
        float[] x = [13, -5, 7, -5, 10, -4, 10, -6];
        var pca = Pca.Fit(x, 4, 2, 2);
        Assert.Equal([10.0, -5.0], pca.Mean);
        Assert.Equal(6.0, pca.Variances[0], 12);
        Assert.Equal(2.0 / 3, pca.Variances[1], 12);
        // Largest-magnitude entry positive: exactly e1 then e2.
        Assert.Equal(1.0, pca.Components[0, 0], 12);
        Assert.Equal(0.0, pca.Components[0, 1], 12);
        Assert.Equal(0.0, pca.Components[1, 0], 12);
        Assert.Equal(1.0, pca.Components[1, 1], 12);
    }

    [Fact]
    public void MatchesPowerIterationOnTheFloat64Covariance()
    {
        const int n = 4000, d = 8, p = 4;
        double[] scales = [5, 4, 3, 2, 1, 0.5, 0.25, 0.1];
        double[] mean = [1, -2, 3, 0.5, 0, 7, -1, 2];
        float[] x = FittingData.Anisotropic(n, d, scales, mean, 11, out _);
        var pca = Pca.Fit(x, n, d, p);

        // Independent reference: mean and covariance accumulated naively in float64, then power iteration with
        // deflation for the top eigenpairs.
        var mu = new double[d];
        for (int r = 0; r < n; r++) for (int j = 0; j < d; j++) mu[j] += x[r * d + j] / (double)n;
        var cov = new double[d, d];
        for (int r = 0; r < n; r++)
            for (int a = 0; a < d; a++)
                for (int b = 0; b < d; b++) cov[a, b] += (x[r * d + a] - mu[a]) * (x[r * d + b] - mu[b]) / (n - 1);
        for (int j = 0; j < d; j++) Assert.Equal(mu[j], pca.Mean[j], 10);

        for (int k = 0; k < p; k++)
        {
            var (value, vector) = PowerIteration(cov, d);
            Assert.Equal(value, pca.Variances[k], 8);
            double alignment = Math.Abs(FittingData.Dot(vector, pca.Components.Row(k).ToArray()));
            Assert.True(alignment > 1 - 1e-9, $"component {k}: |cos| with the power-iteration vector is {alignment}");
            for (int a = 0; a < d; a++)
                for (int b = 0; b < d; b++) cov[a, b] -= value * vector[a] * vector[b];
        }
    }

    [Fact]
    public void ComponentsAreOrthonormalAndOrderedByVariance()
    {
        const int n = 3000, d = 16;
        double[] scales = Enumerable.Range(0, d).Select(k => 1.0 + (k * 7 % d)).ToArray();
        float[] x = FittingData.Anisotropic(n, d, scales, new double[d], 5, out _);
        var pca = Pca.Fit(x, n, d, d);
        var gram = pca.Components * pca.Components.Transpose();
        for (int a = 0; a < d; a++)
            for (int b = 0; b < d; b++) Assert.Equal(a == b ? 1.0 : 0.0, gram[a, b], 12);
        for (int k = 1; k < d; k++) Assert.True(pca.Variances[k - 1] >= pca.Variances[k]);
        // The variances are those of the data along each component.
        var centered = EmbeddingMatrix.Centered(x, n, d, pca.Mean);
        var projected = pca.Project(centered);
        for (int k = 0; k < d; k++)
        {
            double variance = projected.Column(k).Sum(v => v * v) / (n - 1);
            Assert.Equal(variance, pca.Variances[k], 9);
        }
    }

    [Fact]
    public void DataOnAThreeDimensionalSubspaceIsReconstructedExactlyFromThreeComponents()
    {
        const int n = 500, d = 10, p = 3;
        double[] scales = [4, 2, 1, 0, 0, 0, 0, 0, 0, 0];
        double[] mean = Enumerable.Range(0, d).Select(j => j * 0.5).ToArray();
        float[] x = FittingData.Anisotropic(n, d, scales, mean, 9, out _);
        var pca = Pca.Fit(x, n, d, p);
        double worst = 0;
        for (int r = 0; r < n; r++)
        {
            var centered = Enumerable.Range(0, d).Select(j => x[r * d + j] - pca.Mean[j]).ToArray();
            var rebuilt = new double[d];
            for (int k = 0; k < p; k++)
            {
                double c = FittingData.Dot(centered, pca.Components.Row(k).ToArray());
                for (int j = 0; j < d; j++) rebuilt[j] += c * pca.Components[k, j];
            }
            for (int j = 0; j < d; j++) worst = Math.Max(worst, Math.Abs(rebuilt[j] - centered[j]));
        }
        // The rows are float32: the residual off the subspace is their rounding, about 1e-6 of their size.
        Assert.True(worst < 1e-5, $"largest reconstruction error {worst}");
    }

    [Fact]
    public void PlanesPassThroughTheTrainingMeanAlongEachComponent()
    {
        const int n = 1000, d = 6, p = 3;
        double[] mean = [3, 3, 3, -1, 0, 2];
        float[] x = FittingData.Anisotropic(n, d, [3, 2, 1, 0.5, 0.2, 0.1], mean, 4, out _);
        var pca = Pca.Fit(x, n, d, p);
        var planes = pca.ToPlanes();
        Assert.Equal(p, planes.Count);
        Assert.Equal(d, planes.Dim);
        for (int r = 0; r < 50; r++)
            for (int k = 0; k < p; k++)
            {
                double expected = 0;
                for (int j = 0; j < d; j++) expected += pca.Components[k, j] * (x[r * d + j] - pca.Mean[j]);
                Assert.Equal(expected, planes.Project(x.AsSpan(r * d, d), k), 4);
            }
        // Balanced bits: a plane through the mean of symmetric data splits it about in half.
        for (int k = 0; k < p; k++)
        {
            int ones = Enumerable.Range(0, n).Count(r => planes.Bit(x.AsSpan(r * d, d), k));
            Assert.InRange(ones, n * 0.42, n * 0.58);
        }
    }

    [Fact]
    public void RejectsComponentCountsOutsideOneToD()
    {
        float[] x = new float[12];
        Assert.Throws<ArgumentOutOfRangeException>(() => Pca.Fit(x, 3, 4, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pca.Fit(x, 3, 4, 0));
    }

    private static (double Value, double[] Vector) PowerIteration(double[,] a, int d)
    {
        var v = Enumerable.Range(0, d).Select(j => 1.0 + j * 0.1).ToArray();
        double value = 0;
        for (int it = 0; it < 20000; it++)
        {
            var next = new double[d];
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++) next[i] += a[i, j] * v[j];
            double norm = Math.Sqrt(next.Sum(t => t * t));
            for (int i = 0; i < d; i++) next[i] /= norm;
            double change = next.Zip(v, (p, q) => Math.Abs(p - q)).Max();
            v = next;
            value = norm;
            if (change < 1e-14) break;
        }
        return (value, v);
    }
}
