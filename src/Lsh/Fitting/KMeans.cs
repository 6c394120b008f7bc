using Lshk.Core;
using Lshk.Kernels;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Random;

namespace Lshk.Lsh.Fitting;

/// <summary>
/// Lloyd's k-means in every subspace of a product quantiser at once: 256 centroids per run of D/M dimensions. The
/// assignment step is the encoder itself (<see cref="IComputeBackend.QuantizeProducts"/> on the CPU backend), so the
/// centroids are fitted under exactly the rule that codes with them; the update step averages each cell's members in
/// float64. Deterministic in its arguments: seeded start, fixed iteration count, sums in row order.
/// </summary>
public static class KMeans
{
    /// <summary>Lloyd iterations (FAISS's default for product quantisers); it stops early once no code changes.</summary>
    public const int Iterations = 25;

    /// <summary>
    /// Fits M × 256 × (D/M) centroids (row-major) to N×D rows (N ≥ 256). Every subspace starts from the same 256
    /// distinct rows drawn from <paramref name="seed"/>; a cell left empty keeps its centroid. <paramref name="objective"/>,
    /// if given, receives the mean squared quantisation error after each assignment (float64), which Lloyd's
    /// iterations never increase.
    /// </summary>
    public static float[] Fit(ReadOnlySpan<float> rows, int n, int dim, int subspaces, ulong seed,
        List<double>? objective = null, int iterations = Iterations) =>
        Refine(rows, n, dim, subspaces, Start(rows, n, dim, subspaces, seed), objective, iterations);

    /// <summary>
    /// The seeded start: every subspace's 256 centroids are the runs of the same 256 distinct rows, drawn from
    /// <paramref name="seed"/>.
    /// </summary>
    public static float[] Start(ReadOnlySpan<float> rows, int n, int dim, int subspaces, ulong seed)
    {
        const int k = ProductCodes.Centroids;
        if (n < k) throw new InputException($"a product quantiser needs at least {k} training embeddings to fit its {k} centroids per subspace (got {n})");
        if (subspaces < 1 || dim % subspaces != 0)
            throw new InputException($"{dim}-d embeddings do not split into {subspaces} equal subspaces");
        int run = dim / subspaces;
        var centroids = new float[(long)k * dim];
        int[] start = DistinctRows(n, k, seed);
        for (int j = 0; j < subspaces; j++)
            for (int c = 0; c < k; c++)
                rows.Slice(start[c] * dim + j * run, run).CopyTo(centroids.AsSpan((j * k + c) * run, run));
        return centroids;
    }

    /// <summary>Lloyd iterations from <paramref name="start"/> centroids (not changed); returns the refined ones.</summary>
    public static float[] Refine(ReadOnlySpan<float> rows, int n, int dim, int subspaces, float[] start,
        List<double>? objective = null, int iterations = Iterations)
    {
        float[] x = rows.ToArray();
        var centroids = (float[])start.Clone();
        var backend = new CpuBackend();
        int words = ProductCodes.Words(subspaces);
        var codes = new uint[(long)n * words];
        var previous = new uint[codes.Length];
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            backend.QuantizeProducts(x, n, dim, centroids, subspaces, codes);
            objective?.Add(MeanSquaredError(x, n, dim, centroids, subspaces, codes));
            if (iteration > 0 && codes.AsSpan().SequenceEqual(previous)) break;
            Update(x, n, dim, subspaces, codes, centroids);
            codes.CopyTo(previous, 0);
        }
        return centroids;
    }

    /// <summary>Each centroid moved to the mean of its cell's runs (float64 sums in row order); empty cells stay.</summary>
    private static void Update(float[] x, int n, int dim, int subspaces, uint[] codes, float[] centroids)
    {
        const int k = ProductCodes.Centroids;
        int run = dim / subspaces, words = ProductCodes.Words(subspaces);
        Parallel.For(0, subspaces, j =>
        {
            var sums = new double[k * run];
            var counts = new int[k];
            for (int r = 0; r < n; r++)
            {
                int c = ProductCodes.Byte(codes.AsSpan(r * words, words), j);
                counts[c]++;
                for (int t = 0; t < run; t++) sums[c * run + t] += x[(long)r * dim + j * run + t];
            }
            for (int c = 0; c < k; c++)
                if (counts[c] > 0)
                    for (int t = 0; t < run; t++)
                        centroids[((long)j * k + c) * run + t] = (float)(sums[c * run + t] / counts[c]);
        });
    }

    /// <summary>Mean over rows of the squared distance to the reconstruction the codes give, in float64.</summary>
    public static double MeanSquaredError(ReadOnlySpan<float> x, int n, int dim, ReadOnlySpan<float> centroids,
        int subspaces, ReadOnlySpan<uint> codes)
    {
        const int k = ProductCodes.Centroids;
        int run = dim / subspaces, words = ProductCodes.Words(subspaces);
        double total = 0;
        for (int r = 0; r < n; r++)
            for (int j = 0; j < subspaces; j++)
            {
                int c = ProductCodes.Byte(codes.Slice(r * words, words), j);
                for (int t = 0; t < run; t++)
                {
                    double diff = (double)x[r * dim + j * run + t] - centroids[(j * k + c) * run + t];
                    total += diff * diff;
                }
            }
        return n == 0 ? 0 : total / n;
    }

    /// <summary><paramref name="count"/> distinct row indices: the first steps of a seeded Fisher–Yates shuffle.</summary>
    private static int[] DistinctRows(int n, int count, ulong seed)
    {
        var rng = new CounterRng(seed, 0x6B6D65616E73UL); // "kmeans"
        var order = Enumerable.Range(0, n).ToArray();
        for (int i = 0; i < count; i++)
        {
            int pick = i + rng.Below((ulong)i, n - i);
            (order[i], order[pick]) = (order[pick], order[i]);
        }
        return order[..count];
    }
}
