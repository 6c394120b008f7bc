using Lshk.Core;
using Lshk.Kernels;
using Lshk.Kernels.Random;
using Lshk.Lsh.Fitting;
using Lshk.Tests.Reference;

namespace Lshk.Tests.Lsh.Fitting;

/// <summary>The product quantiser's k-means: Lloyd's properties, checked in float64.</summary>
public class KMeansTests
{
    private const int K = ProductCodes.Centroids;

    private static float[] Rows(int n, int dim, ulong seed) => RandomArrays.Gaussian(n * dim, seed);

    [Fact]
    public void TheQuantisationErrorNeverRisesAndEndsWellBelowTheStart()
    {
        const int n = 1500, dim = 12, subspaces = 3;
        var objective = new List<double>();
        KMeans.Fit(Rows(n, dim, 4), n, dim, subspaces, seed: 9, objective);
        Assert.True(objective.Count >= 3, $"{objective.Count} iterations");
        for (int i = 1; i < objective.Count; i++)
            Assert.True(objective[i] <= objective[i - 1] * (1 + 1e-6), $"iteration {i}: {objective[i - 1]} → {objective[i]}");
        Assert.True(objective[^1] < 0.8 * objective[0], $"{objective[0]} → {objective[^1]}");
    }

    [Fact]
    public void EachCentroidIsTheMeanOfItsCellAtTheEnd()
    {
        // Lloyd's fixed point: run to convergence, then every non-empty cell's centroid is its members' mean (float64).
        const int n = 600, dim = 4, subspaces = 2, run = dim / subspaces;
        float[] x = Rows(n, dim, 6);
        float[] centroids = KMeans.Fit(x, n, dim, subspaces, seed: 2, iterations: 200);
        int words = ProductCodes.Words(subspaces);
        var codes = new uint[n * words];
        for (int r = 0; r < n; r++)
            for (int j = 0; j < subspaces; j++)
                codes[r] |= (uint)ProductCodeReference.Nearest(x, r, dim, centroids, subspaces, j) << (8 * j);
        for (int j = 0; j < subspaces; j++)
            for (int c = 0; c < K; c++)
            {
                var members = Enumerable.Range(0, n).Where(r => ProductCodeReference.Byte(codes, r, words, j) == c).ToArray();
                if (members.Length == 0) continue;
                for (int t = 0; t < run; t++)
                {
                    double mean = members.Average(r => (double)x[r * dim + j * run + t]);
                    Assert.Equal(mean, centroids[(j * K + c) * run + t], 5);
                }
            }
    }

    [Fact]
    public void TheSameSeedGivesTheSameCentroidsAndAnotherSeedOthers()
    {
        const int n = 400, dim = 8, subspaces = 4;
        float[] x = Rows(n, dim, 1);
        Assert.Equal(KMeans.Fit(x, n, dim, subspaces, 5), KMeans.Fit(x, n, dim, subspaces, 5));
        Assert.NotEqual(KMeans.Fit(x, n, dim, subspaces, 5), KMeans.Fit(x, n, dim, subspaces, 6));
    }

    [Fact]
    public void FewerRowsThanCentroidsIsAOneLineError()
    {
        var e = Assert.Throws<InputException>(() => KMeans.Fit(new float[100 * 4], 100, 4, 2, 1));
        Assert.Contains("at least 256 training embeddings", e.Message);
    }
}
