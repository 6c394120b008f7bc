using Lshk.Kernels;
using Lshk.Kernels.Random;
using Lshk.Lsh.Fitting;

namespace Lshk.Tests.Lsh.Fitting;

/// <summary>Optimised product quantisation: its rotation, and its error against plain product quantisation.</summary>
public class OpqTests(ITestOutputHelper output)
{
    // Rows whose variance sits in a few directions that are not the axes: what OPQ is for. Variances well below 1, as
    // a unit embedding's are (logs of such variances are negative, which once made the allocation pile them up).
    private static float[] SkewedRows(int n, int dim, ulong seed)
    {
        float[] z = RandomArrays.Gaussian(n * dim, seed);
        var rotation = RandomMatrices.Orthogonal(dim, seed + 1, 0);
        var x = new float[n * dim];
        for (int r = 0; r < n; r++)
            for (int i = 0; i < dim; i++)
            {
                double sum = 0;
                for (int j = 0; j < dim; j++) sum += rotation[i, j] * z[r * dim + j] * (j < 3 ? 0.4 : 0.03);
                x[r * dim + i] = (float)sum;
            }
        return x;
    }

    [Fact]
    public void TheErrorNeverRisesTheRotationIsOrthogonalAndBeatsPlainPq()
    {
        const int n = 1200, dim = 12, subspaces = 3;
        float[] x = SkewedRows(n, dim, 3);
        var objective = new List<double>();
        var fitted = Opq.Fit(x, n, dim, subspaces, seed: 4, objective, rounds: 4);
        output.WriteLine(string.Join(" ", objective.Select(v => v.ToString("G6"))));
        for (int i = 1; i < objective.Count; i++)
            Assert.True(objective[i] <= objective[i - 1] * (1 + 1e-6), $"step {i}: {objective[i - 1]} → {objective[i]}");
        for (int a = 0; a < dim; a++)
            for (int b = 0; b < dim; b++)
            {
                double dot = 0;
                for (int j = 0; j < dim; j++) dot += (double)fitted.Rotation[a * dim + j] * fitted.Rotation[b * dim + j];
                Assert.Equal(a == b ? 1.0 : 0.0, dot, 5);
            }
        var plain = new List<double>();
        KMeans.Fit(x, n, dim, subspaces, 4, plain);
        output.WriteLine($"plain {plain[^1]:G6}, opq {objective[^1]:G6}");
        Assert.True(objective[^1] < 0.9 * plain[^1], $"opq {objective[^1]} vs pq {plain[^1]}");
    }

    [Fact]
    public void TheStartSpreadsTheLargestDirectionsOverTheSubspaces()
    {
        const int n = 800, dim = 12, subspaces = 3, run = dim / subspaces;
        float[] x = SkewedRows(n, dim, 5);
        var start = Opq.AllocatedPca(x, n, dim, subspaces);
        var pca = Pca.Fit(x, n, dim, dim);
        // the three large principal directions (variance 0.16 against 0.0009) land in three different subspaces
        var subspaceOf = new int[3];
        for (int k = 0; k < 3; k++)
        {
            int row = Enumerable.Range(0, dim).Single(r => Math.Abs(start.Row(r).DotProduct(pca.Components.Row(k))) > 0.999);
            subspaceOf[k] = row / run;
        }
        Assert.Equal(3, subspaceOf.Distinct().Count());
    }
}
