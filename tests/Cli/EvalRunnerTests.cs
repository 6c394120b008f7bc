using System.Numerics;
using Lshk.App.Evaluation;
using Lshk.Data;
using Lshk.Data.Episodes;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Gpu;
using Lshk.Tests.Gpu;
using Lshk.Kernels.Random;
using Lshk.Lsh;

namespace Lshk.Tests.Cli;

/// <summary>
/// <see cref="EvaluationRunner"/> against a plain re-computation on the same episodes: every method's accuracy,
/// episode by episode, from scalar double-precision loops (the codes and projections come from the library's hasher,
/// which has its own tests). Also: results independent of the thread count, and the same on the ILGPU backend.
/// </summary>
public class EvalRunnerTests
{
    internal const int Dim = 6;

    /// <summary>12 classes of 10 "images" each; embedding = class centre + noise (images are placeholders).</summary>
    internal static (Dataset Data, float[] Embeddings) Synthetic()
    {
        int classes = 12, per = 10, n = classes * per;
        float[] centres = RandomArrays.Gaussian(classes * Dim, 11);
        float[] noise = RandomArrays.Gaussian(n * Dim, 12);
        var embeddings = new float[n * Dim];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i / per;
            for (int j = 0; j < Dim; j++) embeddings[i * Dim + j] = centres[labels[i] * Dim + j] + 0.8f * noise[i * Dim + j];
        }
        // Three groups of four classes (like alphabets), for within-group episodes.
        var data = new Dataset(new float[n], n, 1, 1, 1, labels, Enumerable.Range(0, classes).Select(c => $"c{c}").ToArray(),
            Enumerable.Range(0, classes).Select(c => $"g{c % 3}").ToArray(), "synthetic");
        return (data, embeddings);
    }

    private static EvaluationGrid Grid(int threads = 0) =>
        new([3, 5], [1, 2], [8, 40], [PlaneFamily.Gaussian, PlaneFamily.Integer], Episodes: 25, Queries: 4, Seed: 7,
            Sharpness: 1f, Threads: threads);

    [Theory]
    [InlineData(true, EpisodeMode.Unstructured)]
    [InlineData(false, EpisodeMode.Unstructured)]
    [InlineData(true, EpisodeMode.WithinGroup)]
    public void EveryMethodMatchesAPlainComputation(bool center, EpisodeMode mode)
    {
        var (data, emb) = Synthetic();
        var grid = Grid() with { Center = center, Mode = mode, Ways = mode == EpisodeMode.WithinGroup ? [3, 4] : [3, 5] };
        using var cpu = new CpuBackend();
        var result = EvaluationRunner.Run(emb, Dim, data, grid, cpu);
        Assert.Equal(2 * 2 * 2 * 2 * 6, result.Rows.Count);
        foreach (int ways in grid.Ways)
            foreach (int shots in grid.Shots)
            {
                var sampler = new EpisodeSampler(data, new EpisodeSpec(ways, shots, grid.Queries, mode), grid.Seed);
                var episodes = Enumerable.Range(0, grid.Episodes).Select(i => sampler.Sample(i)).ToArray();
                foreach (var method in new[] { "cosine", "cosine-mean", "euclidean-mean" })
                {
                    var expected = AccuracyStats.Of(episodes.Select(e => Dense(emb, e, method)).ToArray());
                    foreach (var row in result.Rows.Where(r => r.Ways == ways && r.Shots == shots && r.Method == method))
                    {
                        Assert.Equal(expected.Mean, row.Mean);
                        Assert.Equal(expected.Ci95, row.Ci95);
                        Assert.Equal(4 * Dim, row.BytesPerSupport);
                    }
                }
                foreach (var family in grid.Families)
                    foreach (int p in grid.Planes)
                    {
                        var planes = Hyperplanes.Generate(family, p, Dim, grid.Seed);
                        foreach (var method in new[] { "hamming", "hamming-proto", "sigmoid" })
                        {
                            var bounds = episodes.Select(e => Hashed(cpu, emb, e, planes, center, method, grid.Sharpness)).ToArray();
                            var row = result.Find(ways, shots, method, family.Name, p);
                            string what = $"{ways}-way {shots}-shot {family.Name} {p} {method}";
                            if (bounds.All(b => b.Low == b.High))
                            {
                                var expected = AccuracyStats.Of(bounds.Select(b => b.Low).ToArray());
                                Assert.True(expected.Mean == row.Mean, $"{what}: expected {expected.Mean}, got {row.Mean}");
                                Assert.Equal(expected.Ci95, row.Ci95);
                            }
                            else
                            {
                                // Sigmoid scores computed in double may separate supports that float scores tie (or
                                // the reverse); such queries may go either way, so only bounds hold.
                                Assert.Equal("sigmoid", method);
                                Assert.InRange(row.Mean, bounds.Average(b => b.Low) - 1e-12, bounds.Average(b => b.High) + 1e-12);
                            }
                            Assert.Equal(method == "sigmoid" ? 4 * p : p / 8, row.BytesPerSupport);
                        }
                    }
            }
        // A sanity check on the data: with well-separated classes the dense baseline is far above chance.
        Assert.True(result.Find(grid.Ways[0], 1, "cosine").Mean > 0.6);
        // Centring changes the codes: the hashed accuracies differ between centring on and off.
        var flipped = EvaluationRunner.Run(emb, Dim, data, grid with { Center = !center }, cpu);
        Assert.NotEqual(result.Rows.Where(r => r.Method == "hamming").Select(r => r.Mean),
            flipped.Rows.Where(r => r.Method == "hamming").Select(r => r.Mean));
        Assert.Equal(result.Rows.Where(r => r.Method == "cosine").Select(r => r.Mean),
            flipped.Rows.Where(r => r.Method == "cosine").Select(r => r.Mean));
    }

    [Fact]
    public void ResultsDoNotDependOnTheThreadCount()
    {
        var (data, emb) = Synthetic();
        using var cpu = new CpuBackend();
        static string Key(EvaluationResult r) =>
            string.Join("\n", r.Rows.Select(x => $"{x.Ways},{x.Shots},{x.Hash},{x.Planes},{x.Method},{x.Mean:R},{x.Ci95:R}"));
        string one = Key(EvaluationRunner.Run(emb, Dim, data, Grid(threads: 1), cpu));
        Assert.Equal(one, Key(EvaluationRunner.Run(emb, Dim, data, Grid(threads: 2), cpu)));
        Assert.Equal(one, Key(EvaluationRunner.Run(emb, Dim, data, Grid(threads: 8), cpu)));
        Assert.Equal(one, Key(EvaluationRunner.Run(emb, Dim, data, Grid(threads: 1), cpu)));
    }

    [Trait(TestGpu.Trait, TestGpu.Kernels)]
    [Fact]
    public void IlgpuBackendGivesTheSameAccuracies()
    {
        var (data, emb) = Synthetic();
        var grid = new EvaluationGrid([5], [2], [40], [PlaneFamily.Gaussian], Episodes: 4, Queries: 3, Seed: 3);
        using var cpu = new CpuBackend();
        using var sim = TestGpu.Open();
        var a = EvaluationRunner.Run(emb, Dim, data, grid, cpu);
        var b = EvaluationRunner.Run(emb, Dim, data, grid, sim);
        Assert.Equal(a.Rows.Select(r => (r.Method, r.Mean)), b.Rows.Select(r => (r.Method, r.Mean)));
    }

    [Fact]
    public void TrainingSummaryGridGivesCosineAndHammingRows()
    {
        var (data, emb) = Synthetic();
        using var cpu = new CpuBackend();
        var result = EvaluationRunner.Run(emb, Dim, data, EvaluationGrid.TrainingSummary(episodes: 10, seed: 2) with { Ways = [5, 12], Queries = 5 }, cpu);
        // 2 ways × 1 shot × 4 plane counts × 3 methods, Gaussian planes only.
        Assert.Equal(2 * 4 * 3, result.Rows.Count);
        Assert.All(result.Rows, r => Assert.Equal("gaussian", r.Hash));
        Assert.Equal(["cosine", "euclidean-mean", "hamming"], result.Rows.Select(r => r.Method).Distinct().Order());
        Assert.Equal([16, 32, 64, 128], result.Rows.Select(r => r.Planes).Distinct().Order());
    }

    [Fact]
    public void TooManyWaysIsAClearError()
    {
        var (data, emb) = Synthetic();
        using var cpu = new CpuBackend();
        var e = Assert.Throws<Lshk.App.SettingException>(() =>
            EvaluationRunner.Run(emb, Dim, data, Grid() with { Ways = [13] }, cpu));
        Assert.Equal("ways", e.Setting); // the CLI reports it as --ways
        Assert.Contains("12 classes", e.Message);
    }

    // ---- the plain re-computation ----

    private static double[] Row(float[] emb, int index) => emb.AsSpan(index * Dim, Dim).ToArray().Select(v => (double)v).ToArray();

    private static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();

    private static double Cos(double[] a, double[] b) => Dot(a, b) / Math.Sqrt(Dot(a, a) * Dot(b, b));

    private static double[][] Means(double[][] support, int ways, int shots) =>
        Enumerable.Range(0, ways).Select(c => Enumerable.Range(0, Dim)
            .Select(j => Enumerable.Range(0, shots).Sum(s => support[c * shots + s][j]) / shots).ToArray()).ToArray();

    /// <summary>Index of the best score (highest), the lowest index among equals.</summary>
    private static int Best(IEnumerable<double> scores)
    {
        int best = -1, i = 0;
        double top = double.NegativeInfinity;
        foreach (double s in scores)
        {
            if (s > top) { top = s; best = i; }
            i++;
        }
        return best;
    }

    internal static double Dense(float[] emb, Episode e, string method)
    {
        int shots = e.Support.Length / e.Ways;
        var support = e.Support.Select(i => Row(emb, i)).ToArray();
        var means = Means(support, e.Ways, shots);
        int correct = 0;
        for (int j = 0; j < e.Query.Length; j++)
        {
            var x = Row(emb, e.Query[j]);
            int predicted = method switch
            {
                "cosine" => Best(support.Select(s => Cos(x, s))) / shots,
                "cosine-mean" => Best(means.Select(m => Cos(x, m))),
                _ => Best(means.Select(m => -m.Zip(x, (a, b) => (a - b) * (a - b)).Sum())),
            };
            if (predicted == e.QueryLabel(j)) correct++;
        }
        return (double)correct / e.Query.Length;
    }

    /// <summary>The episode's accuracy; Low &lt; High only when near-tied sigmoid scores make some queries go either way.</summary>
    private static (double Low, double High) Hashed(CpuBackend cpu, float[] emb, Episode e, Hyperplanes planes, bool center,
        string method, float sharpness)
    {
        int n = e.Support.Length, q = e.Query.Length, shots = n / e.Ways, p = planes.Count, words = planes.Words;
        var x = e.Support.Concat(e.Query).SelectMany(i => emb.AsSpan(i * Dim, Dim).ToArray()).ToArray();
        var hasher = center ? LshHasher.CenteredOn(planes, x.AsSpan(0, n * Dim), n) : new LshHasher(planes);
        uint[] codes = hasher.Hash(cpu, x, n + q);
        float[] proj = hasher.Project(cpu, x, n + q);
        int Distance(int a, int b)
        {
            int d = 0;
            for (int w = 0; w < words; w++) d += BitOperations.PopCount(codes[a * words + w] ^ codes[b * words + w]);
            return d;
        }
        // Majority code per class, bit by bit (ties give 1).
        var majority = new bool[e.Ways, p];
        for (int c = 0; c < e.Ways; c++)
            for (int bit = 0; bit < p; bit++)
            {
                int ones = Enumerable.Range(c * shots, shots).Count(s => (codes[s * words + bit / 32] >> (bit % 32) & 1) != 0);
                majority[c, bit] = 2 * ones >= shots;
            }
        int correct = 0, either = 0;
        for (int j = 0; j < q; j++)
        {
            int row = n + j, truth = e.QueryLabel(j);
            if (method == "sigmoid")
            {
                double[] scores = Enumerable.Range(0, n).Select(s => Enumerable.Range(0, p)
                    .Sum(i => 1.0 / (1.0 + Math.Exp(-sharpness * (double)proj[s * p + i] * proj[row * p + i])))).ToArray();
                double top = scores.Max();
                var near = Enumerable.Range(0, n).Where(s => scores[s] >= top - 1e-4 * Math.Max(1, Math.Abs(top))).Select(s => s / shots).Distinct().ToArray();
                if (near.Length == 1) { if (near[0] == truth) correct++; }
                else if (near.Contains(truth)) either++;
                continue;
            }
            int predicted = method switch
            {
                "hamming" => Best(Enumerable.Range(0, n).Select(s => (double)-Distance(row, s))) / shots,
                _ => Best(Enumerable.Range(0, e.Ways).Select(c => (double)-Enumerable.Range(0, p)
                    .Count(bit => ((codes[row * words + bit / 32] >> (bit % 32) & 1) != 0) != majority[c, bit]))),
            };
            if (predicted == truth) correct++;
        }
        return ((double)correct / q, (double)(correct + either) / q);
    }
}
