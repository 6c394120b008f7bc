using Lshk.Kernels;
using Lshk.Kernels.Cpu;
using MathNet.Numerics.LinearAlgebra;

namespace Lshk.Lsh.Fitting;

/// <summary>
/// Optimised product quantisation (Ge, He, Ke &amp; Sun, the non-parametric form): a D×D rotation R before the product
/// quantiser, chosen so that the rotated rows quantise with less error. It starts from PCA with the variances spread
/// evenly over the subspaces (eigenvalue allocation: each principal direction, largest first, goes to the subspace
/// whose product of variances is smallest so far), then alternates Lloyd iterations on the rotated rows with the
/// rotation that best maps the rows onto their reconstructions (orthogonal Procrustes, R = U·Vᵀ from the SVD of XᵀY).
/// Each step can only lower the quantisation error. All in float64 except the Lloyd assignment, which is the encoder.
/// </summary>
public static class Opq
{
    /// <summary>Alternations of Lloyd iterations and a new rotation.</summary>
    public const int Rounds = 10;

    /// <summary>Lloyd iterations per round (a last refinement of <see cref="KMeans.Iterations"/> follows the rounds).</summary>
    public const int LloydPerRound = 10;

    /// <summary>Variances below this fraction of the largest count as this fraction (directions the data never uses).</summary>
    private const double VarianceFloor = 1e-9;

    /// <summary>A fitted rotation (D×D, row i the i-th rotated axis: rotated[i] = Σ_j R[i, j]·x[j]) and centroids of the rotated rows.</summary>
    public sealed record Fitted(float[] Rotation, float[] Centroids);

    /// <summary>
    /// Fits to N×D rows (N ≥ 256). <paramref name="objective"/>, if given, receives the mean squared quantisation error
    /// after every rotation update and every Lloyd assignment, in order: a sequence that never rises.
    /// </summary>
    public static Fitted Fit(ReadOnlySpan<float> rows, int n, int dim, int subspaces, ulong seed, List<double>? objective = null,
        int rounds = Rounds)
    {
        var x = EmbeddingMatrix.Centered(rows, n, dim, new double[dim]); // the rows as they are
        var rotation = AllocatedPca(rows, n, dim, subspaces);
        var backend = new CpuBackend();
        float[] rotated = Rotate(x, rotation);
        float[] centroids = KMeans.Start(rotated, n, dim, subspaces, seed);
        int words = ProductCodes.Words(subspaces);
        var codes = new uint[(long)n * words];
        for (int round = 0; round < rounds; round++)
        {
            centroids = KMeans.Refine(rotated, n, dim, subspaces, centroids, objective, LloydPerRound);
            backend.QuantizeProducts(rotated, n, dim, centroids, subspaces, codes);
            rotation = Procrustes(x, Reconstruct(codes, n, dim, subspaces, centroids));
            rotated = Rotate(x, rotation);
            objective?.Add(KMeans.MeanSquaredError(rotated, n, dim, centroids, subspaces, codes));
        }
        centroids = KMeans.Refine(rotated, n, dim, subspaces, centroids, objective);
        return new Fitted(EmbeddingMatrix.ToFloat(rotation.ToRowMajorArray()), centroids);
    }

    /// <summary>PCA's directions as rows, ordered so that every subspace gets an even share of the variance.</summary>
    internal static Matrix<double> AllocatedPca(ReadOnlySpan<float> rows, int n, int dim, int subspaces)
    {
        var pca = Pca.Fit(rows, n, dim, dim);
        int run = dim / subspaces;
        var members = Enumerable.Range(0, subspaces).Select(_ => new List<int>()).ToArray();
        var logVariance = new double[subspaces];
        // Variances relative to the smallest (floored), so every log is ≥ 0: a subspace's product only grows as it
        // gains directions, and an empty one is the first choice. (Raw variances below 1 have negative logs, and the
        // greedy rule would then pile the largest directions into one subspace.)
        double floor = Math.Max(pca.Variances[^1], VarianceFloor * pca.Variances[0]);
        for (int i = 0; i < dim; i++)
        {
            int best = -1;
            for (int j = 0; j < subspaces; j++)
                if (members[j].Count < run && (best < 0 || logVariance[j] < logVariance[best])) best = j;
            members[best].Add(i);
            logVariance[best] += Math.Log(Math.Max(pca.Variances[i], floor) / floor);
        }
        var order = members.SelectMany(m => m).ToArray();
        return Matrix<double>.Build.Dense(dim, dim, (r, c) => pca.Components[order[r], c]);
    }

    /// <summary>The rotation R minimising ‖X·Rᵀ − Y‖ over orthogonal R: U·Vᵀ of the SVD of Yᵀ·X.</summary>
    private static Matrix<double> Procrustes(Matrix<double> x, Matrix<double> y)
    {
        var svd = (y.TransposeThisAndMultiply(x)).Svd(computeVectors: true);
        return svd.U * svd.VT;
    }

    /// <summary>Rows rotated (X·Rᵀ), as float32 row-major.</summary>
    private static float[] Rotate(Matrix<double> x, Matrix<double> rotation) =>
        EmbeddingMatrix.ToFloat(x.TransposeAndMultiply(rotation).ToRowMajorArray());

    private static Matrix<double> Reconstruct(uint[] codes, int n, int dim, int subspaces, float[] centroids)
    {
        int run = dim / subspaces, words = ProductCodes.Words(subspaces);
        return Matrix<double>.Build.Dense(n, dim, (r, c) =>
        {
            int j = c / run;
            int centroid = ProductCodes.Byte(codes.AsSpan(r * words, words), j);
            return centroids[(j * ProductCodes.Centroids + centroid) * run + c % run];
        });
    }
}
