using Lshk.App.Evaluation;
using Lshk.Data;
using Lshk.Data.Episodes;
using Lshk.Kernels.Cpu;
using Lshk.Lsh;
using Lshk.Lsh.Families;
using Lshk.Tests.Lsh;

namespace Lshk.Tests.Cli;

/// <summary>
/// The original study's evaluation knobs and protocols in <see cref="EvaluationRunner"/>, on cases whose answer is
/// worked out by hand or recomputed from the episodes without the runner: the integer range, the sigmoid k, trial
/// episodes (one query each) and the fixed-support protocol with its Wilson interval over queries.
/// </summary>
public class EvalProtocolTests
{
    /// <summary>A dataset of placeholder images whose embeddings are given: one row per image, <paramref name="labels"/> per image.</summary>
    private static Dataset Placeholder(int[] labels, int classes) =>
        new(new float[labels.Length], labels.Length, 1, 1, 1, labels, Enumerable.Range(0, classes).Select(c => $"c{c}").ToArray(), null, "hand-made");

    [Fact]
    public void IntegerRangeOneMakesEveryCodeTheSameOnPositiveEmbeddings()
    {
        // Entries in [-1, 1) are −1 or 0. Every embedding here is strictly positive, so a plane with a −1 projects
        // every image below 0 (bit 0) and an all-zero plane projects it to 0 (bit 1): the code does not depend on the
        // image. All Hamming distances tie, the lowest support (class-major: episode class 0) wins, and exactly the
        // queries of class 0 are right: 1/4 of each 4-way episode with balanced queries.
        const int dim = 4, classes = 6, per = 5;
        var labels = Enumerable.Range(0, classes * per).Select(i => i / per).ToArray();
        var emb = new float[labels.Length * dim];
        for (int i = 0; i < labels.Length; i++)
            for (int j = 0; j < dim; j++) emb[i * dim + j] = 1 + (j == labels[i] % dim ? 5 : 0) + 0.01f * (i % 7);
        var grid = new EvaluationGrid([4], [1], [16], [PlaneFamily.Integer], Episodes: 30, Queries: 3, Center: false, Seed: 2)
        {
            Methods = [MatchMethod.HammingNearest, MatchMethod.HammingMajority],
            IntegerRange = 1,
        };
        var planes = IntegerPlanes.Instance.Draw(16, dim, 2, PlaneDrawOptions.Default with { Range = 1 });
        Assert.All(planes.Normals.ToArray(), v => Assert.True(v is -1 or 0));
        using var cpu = new CpuBackend();
        var data = Placeholder(labels, classes);
        var result = EvaluationRunner.Run(emb, dim, data, grid, cpu);
        foreach (var row in result.Rows)
        {
            Assert.Equal(0.25, row.Mean);
            Assert.Equal(0.0, row.Ci95);
        }
        // With the default range (entries −2 … 1) some planes have positive entries and the codes tell classes apart.
        var wider = EvaluationRunner.Run(emb, dim, data, grid with { IntegerRange = PlaneDrawOptions.DefaultRange }, cpu);
        Assert.All(wider.Rows, r => Assert.True(r.Mean > 0.25, $"{r.Method}: {r.Mean}"));
    }

    [Fact]
    public void SigmoidKDecidesWhichSupportWins()
    {
        // Identity planes (toy-axis with P = D = 2), no centring: projections are the embeddings. Class 0's images are
        // u = (0.5, 0.5), class 1's v = (6, −0.4). Score of support s for query q: σ(k·s₁q₁) + σ(k·s₂q₂).
        //   k = 1:  query u: with u 2σ(0.25) = 1.1244, with v σ(3) + σ(−0.2) = 1.4027 → class 1, wrong;
        //           query v: with v σ(36) + σ(0.16) = 1.5399, with u 1.4027 → right.          accuracy 1/2.
        //   k = 50: query u: 2σ(12.5) ≈ 2.0000 against σ(150) + σ(−10) ≈ 1.0000 → right;
        //           query v: σ(1800) + σ(8) ≈ 1.9997 against 1.0000 → right.                  accuracy 1.
        // Both images of a class are equal, so every 2-way 1-shot 1-query episode scores the same.
        ToyHashFamilies.Register();
        float[] emb = [0.5f, 0.5f, 0.5f, 0.5f, 6f, -0.4f, 6f, -0.4f];
        var data = Placeholder([0, 0, 1, 1], 2);
        var grid = new EvaluationGrid([2], [1], [2], [ToyHashFamilies.Axis], Episodes: 8, Queries: 1, Center: false, Seed: 4)
        {
            Methods = [MatchMethod.Sigmoid],
        };
        using var cpu = new CpuBackend();
        Assert.Equal(0.5, Assert.Single(EvaluationRunner.Run(emb, 2, data, grid with { Sharpness = 1 }, cpu).Rows).Mean);
        Assert.Equal(1.0, Assert.Single(EvaluationRunner.Run(emb, 2, data, grid with { Sharpness = 50 }, cpu).Rows).Mean);
        var e = Assert.Throws<Lshk.App.SettingException>(() => EvaluationRunner.Run(emb, 2, data, grid with { Sharpness = 0 }, cpu));
        Assert.Equal("sigmoid-k", e.Setting);
    }

    [Fact]
    public void TrialsScoreEachEpisodeZeroOrOne()
    {
        var (data, emb) = EvalRunnerTests.Synthetic();
        var grid = new EvaluationGrid([5], [1], [8], [PlaneFamily.Gaussian], Episodes: 400, Queries: 1, Seed: 5)
        {
            Methods = [MatchMethod.CosineNearest],
            QueriesPerEpisode = true,
        };
        using var cpu = new CpuBackend();
        var row = Assert.Single(EvaluationRunner.Run(emb, EvalRunnerTests.Dim, data, grid, cpu).Rows);
        Assert.Equal(1, row.Queries);
        // The same episodes, scored by a plain double-precision cosine: each 0 or 1.
        var sampler = new EpisodeSampler(data, new EpisodeSpec(5, 1, 1, QueriesPerEpisode: true), 5);
        var scores = Enumerable.Range(0, 400).Select(i => EvalRunnerTests.Dense(emb, sampler.Sample(i), "cosine")).ToArray();
        Assert.All(scores, s => Assert.True(s is 0 or 1));
        double p = scores.Average();
        Assert.Equal(p, row.Mean, 12);
        // The interval over 0/1 episodes: 1.96 · √(p(1 − p) · n / (n − 1)) / √n.
        Assert.Equal(1.96 * Math.Sqrt(p * (1 - p) * 400 / 399) / Math.Sqrt(400), row.Ci95, 12);
        Assert.InRange(p, 0.3, 0.999);   // the data is separable but noisy: neither chance nor perfect
    }

    [Fact]
    public void FixedSupportScoresTheFirstEpisodesQueriesWithAWilsonInterval()
    {
        var (data, emb) = EvalRunnerTests.Synthetic();
        var grid = new EvaluationGrid([4], [1, 2], [8, 16], [PlaneFamily.Gaussian], Episodes: 20, Queries: 6, Seed: 8)
        {
            Methods = [MatchMethod.CosineNearest, MatchMethod.HammingNearest],
            FixedSupport = true,
        };
        using var cpu = new CpuBackend();
        var result = EvaluationRunner.Run(emb, EvalRunnerTests.Dim, data, grid, cpu);
        // Both protocols, each 2 shots × 2 plane counts × 2 methods.
        Assert.Equal(8, result.Rows.Count(r => r.Protocol == EvaluationProtocol.Fresh));
        Assert.Equal(8, result.Rows.Count(r => r.Protocol == EvaluationProtocol.FixedSupport));
        foreach (int shots in grid.Shots)
        {
            var first = new EpisodeSampler(data, new EpisodeSpec(4, shots, 6), 8).Sample(0);
            int correct = (int)Math.Round(24 * EvalRunnerTests.Dense(emb, first, "cosine"));
            // Wilson's interval by its formula: centre (p + z²/2n) / (1 + z²/n), half-width z/(1 + z²/n) · √(p(1−p)/n + z²/4n²).
            double n = 24, p = correct / n, z = 1.96;
            double centre = (p + z * z / (2 * n)) / (1 + z * z / n);
            double half = z / (1 + z * z / n) * Math.Sqrt(p * (1 - p) / n + z * z / (4 * n * n));
            var fixedRows = result.Rows.Where(r => r.Shots == shots && r.Protocol == EvaluationProtocol.FixedSupport).ToList();
            foreach (var row in fixedRows.Where(r => r.Method == "cosine"))
            {
                Assert.Equal(p, row.Mean, 12);
                Assert.Equal(centre - half, row.Low, 12);
                Assert.Equal(centre + half, row.High, 12);
                Assert.Equal(1, row.Episodes);
                Assert.Equal(24, row.Queries);
            }
            // One support set for every plane count: the fixed cosine rows repeat, and the fresh rows differ from them
            // (20 episodes against one).
            Assert.Single(fixedRows.Where(r => r.Method == "cosine").Select(r => r.Mean).Distinct());
            Assert.Equal(AccuracyStats.Of(Enumerable.Range(0, 20).Select(i =>
                    EvalRunnerTests.Dense(emb, new EpisodeSampler(data, new EpisodeSpec(4, shots, 6), 8).Sample(i), "cosine")).ToArray()).Mean,
                result.Find(4, shots, "cosine").Mean, 12);
        }
    }
}
