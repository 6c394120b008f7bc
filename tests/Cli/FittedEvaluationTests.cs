using Lshk.App.Evaluation;
using Lshk.Data;
using Lshk.Data.Episodes;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Random;
using Lshk.Lsh;
using Lshk.Lsh.Families;

namespace Lshk.Tests.Cli;

/// <summary>
/// The evaluation grid with fitted (pca, itq), per-episode (one-rest) families and the asymmetric method: fitted planes
/// see only the training embeddings given to the runner; results against plain re-computations on the same episodes.
/// </summary>
public class FittedEvaluationTests
{
    private const int Dim = 6;

    /// <summary>Classes around seeded centres; `shift` moves every embedding, so training and test sets have different means.</summary>
    private static (Dataset Data, float[] Embeddings) Classes(int classes, int per, ulong seed, float shift)
    {
        int n = classes * per;
        float[] centres = RandomArrays.Gaussian(classes * Dim, seed);
        float[] noise = RandomArrays.Gaussian(n * Dim, seed + 1);
        var embeddings = new float[n * Dim];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i / per;
            for (int j = 0; j < Dim; j++) embeddings[i * Dim + j] = shift + centres[labels[i] * Dim + j] + 0.6f * noise[i * Dim + j];
        }
        var data = new Dataset(new float[n], n, 1, 1, 1, labels, Enumerable.Range(0, classes).Select(c => $"c{c}").ToArray(), null, $"set{seed}");
        return (data, embeddings);
    }

    /// <summary>A fitted family that records what it was fitted to (and fits axis planes through that data's mean).</summary>
    private sealed class RecordingFamily : IFittedHashFamily
    {
        public readonly List<(int Rows, double[] Mean)> Fits = [];
        public string Name => "test-recording";
        public IReadOnlyList<string> Aliases => [];
        public HashFamilyKind Kind => HashFamilyKind.Fitted;
        public string Summary => "records its fits (a test family)";

        public Hyperplanes Fit(ReadOnlySpan<float> embeddings, int dim, int planes, ulong seed)
        {
            int n = embeddings.Length / dim;
            var mean = new double[dim];
            for (int r = 0; r < n; r++)
                for (int j = 0; j < dim; j++) mean[j] += embeddings[r * dim + j] / (double)n;
            lock (Fits) Fits.Add((n, mean));
            var normals = new float[planes * dim];
            var offsets = new float[planes];
            for (int i = 0; i < planes; i++)
            {
                normals[i * dim + i % dim] = 1;
                offsets[i] = (float)-mean[i % dim];
            }
            return new Hyperplanes(this, planes, dim, normals, offsets, seed, 0);
        }
    }

    [Fact]
    public void FittedPlanesSeeTheTrainingEmbeddingsOnlyOncePerConfiguration()
    {
        var (test, testEmb) = Classes(10, 8, 21, shift: 0);
        var (train, trainEmb) = Classes(30, 8, 31, shift: 2);
        var family = new RecordingFamily();
        using var cpu = new CpuBackend();
        var grid = new EvaluationGrid([5], [1, 2], [4, 8], [family], Episodes: 12, Queries: 3) { Methods = [MatchMethod.HammingNearest] };
        var result = EvaluationRunner.Run(testEmb, Dim, test, grid, cpu, training: trainEmb);

        Assert.Equal(2, family.Fits.Count);   // once per plane count, not per episode or shape
        var trainMean = Mean(trainEmb, train.Count);
        var testMean = Mean(testEmb, test.Count);
        foreach (var fit in family.Fits)
        {
            Assert.Equal(train.Count, fit.Rows);
            for (int j = 0; j < Dim; j++) Assert.Equal(trainMean[j], fit.Mean[j], 9);
            Assert.True(Math.Abs(fit.Mean[0] - testMean[0]) > 1, "the fitted mean is the training classes', not the test classes'");
        }
        Assert.All(result.Rows, r => Assert.Equal(HashConfig.TrainingMean, r.Center));
    }

    [Fact]
    public void ItqRowsAreHammingNearestWithPlanesFittedToTheTrainingSet()
    {
        var (test, testEmb) = Classes(10, 8, 22, shift: 0);
        var (_, trainEmb) = Classes(30, 8, 32, shift: 1);
        using var cpu = new CpuBackend();
        var grid = new EvaluationGrid([4], [2], [4], [ItqPlanes.Instance], Episodes: 15, Queries: 3, Seed: 3)
        {
            Methods = [MatchMethod.HammingNearest, MatchMethod.Asymmetric],
        };
        var result = EvaluationRunner.Run(testEmb, Dim, test, grid, cpu, training: trainEmb);
        var planes = ItqPlanes.Instance.Fit(trainEmb, Dim, 4, 3);
        var sampler = new EpisodeSampler(test, new EpisodeSpec(4, 2, 3), 3);
        double hamming = 0, asymmetric = 0;
        for (int i = 0; i < grid.Episodes; i++)
        {
            var rows = EpisodeEmbeddings.Of(sampler.Sample(i), testEmb, Dim);
            hamming += PlainAccuracy(rows, planes, asymmetric: false);
            asymmetric += PlainAccuracy(rows, planes, asymmetric: true);
        }
        Assert.Equal(hamming / grid.Episodes, result.Find(4, 2, "hamming", "itq", 4).Mean, 12);
        Assert.Equal(asymmetric / grid.Episodes, result.Find(4, 2, "asymmetric", "itq", 4).Mean, 12);
        Assert.Equal(1, result.Find(4, 2, "asymmetric", "itq", 4).BytesPerSupport);
    }

    [Fact]
    public void FittedPlanesThroughTheSupportMeanGetARowOfTheirOwn()
    {
        // The test set sits 3 away from the training set: planes through the training mean cut none of its episodes
        // well, the same normals through each episode's support mean do.
        var (test, testEmb) = Classes(10, 8, 25, shift: 3);
        var (_, trainEmb) = Classes(30, 8, 35, shift: 0);
        using var cpu = new CpuBackend();
        var grid = new EvaluationGrid([4], [2], [4], [ItqPlanes.Instance], Episodes: 15, Queries: 3, Seed: 3)
        {
            Methods = [MatchMethod.HammingNearest, MatchMethod.Asymmetric],
            FittedCenters = [FittedCenter.TrainingMean, FittedCenter.SupportMean],
        };
        var result = EvaluationRunner.Run(testEmb, Dim, test, grid, cpu, training: trainEmb);
        Assert.Equal([HashConfig.TrainingMean, HashConfig.SupportMean], result.Rows.Where(r => r.Method == "hamming").Select(r => r.Center));

        var fitted = ItqPlanes.Instance.Fit(trainEmb, Dim, 4, 3);
        var sampler = new EpisodeSampler(test, new EpisodeSpec(4, 2, 3), 3);
        double trainingHamming = 0, supportHamming = 0, supportAsymmetric = 0;
        for (int i = 0; i < grid.Episodes; i++)
        {
            var rows = EpisodeEmbeddings.Of(sampler.Sample(i), testEmb, Dim);
            var throughSupport = ThroughSupportMean(fitted, rows);
            trainingHamming += PlainAccuracy(rows, fitted, asymmetric: false);
            supportHamming += PlainAccuracy(rows, throughSupport, asymmetric: false);
            supportAsymmetric += PlainAccuracy(rows, throughSupport, asymmetric: true);
        }
        EvaluationRow Row(string method, string center) => result.Rows.Single(r => r.Method == method && r.Center == center);
        Assert.Equal(trainingHamming / grid.Episodes, Row("hamming", HashConfig.TrainingMean).Mean, 12);
        Assert.Equal(supportHamming / grid.Episodes, Row("hamming", HashConfig.SupportMean).Mean, 12);
        Assert.Equal(supportAsymmetric / grid.Episodes, Row("asymmetric", HashConfig.SupportMean).Mean, 12);
    }

    [Fact]
    public void LearnedPlanesThroughTheSupportMeanDropTheirTrainedBias()
    {
        var (test, testEmb) = Classes(10, 8, 26, shift: 2);
        var normals = RandomArrays.Gaussian(5 * Dim, 46);
        var bias = RandomArrays.Gaussian(5, 47);
        var learned = new Hyperplanes(LearnedPlanes.Instance, 5, Dim, normals, bias, 0, 0);
        using var cpu = new CpuBackend();
        var grid = new EvaluationGrid([4], [2], [64], [LearnedPlanes.Instance], Episodes: 12, Queries: 3, Seed: 4)
        {
            Methods = [MatchMethod.HammingNearest],
            FittedCenters = [FittedCenter.TrainingMean, FittedCenter.SupportMean],
        };
        var result = EvaluationRunner.Run(testEmb, Dim, test, grid, cpu, stored: learned);
        Assert.Equal([HashConfig.Learned, HashConfig.SupportMean], result.Rows.Select(r => r.Center));
        Assert.All(result.Rows, r => Assert.Equal(5, r.Planes));   // learned planes keep their own length

        var sampler = new EpisodeSampler(test, new EpisodeSpec(4, 2, 3), 4);
        double asTrained = 0, throughSupport = 0;
        for (int i = 0; i < grid.Episodes; i++)
        {
            var rows = EpisodeEmbeddings.Of(sampler.Sample(i), testEmb, Dim);
            asTrained += PlainAccuracy(rows, learned, asymmetric: false);
            throughSupport += PlainAccuracy(rows, ThroughSupportMean(learned, rows), asymmetric: false);
        }
        Assert.Equal(asTrained / grid.Episodes, result.Rows[0].Mean, 12);
        Assert.Equal(throughSupport / grid.Episodes, result.Rows[1].Mean, 12);
    }

    // The fitted normals with offsets −n·μ over the episode's supports (float64 mean, as LshHasher.CenteredOn).
    private static Hyperplanes ThroughSupportMean(Hyperplanes planes, EpisodeEmbeddings rows)
    {
        var mean = new double[Dim];
        for (int s = 0; s < rows.Supports; s++)
            for (int j = 0; j < Dim; j++) mean[j] += rows.All[s * Dim + j];
        var offsets = new float[planes.Count];
        for (int i = 0; i < planes.Count; i++)
        {
            double dot = 0;
            for (int j = 0; j < Dim; j++) dot += (double)planes.Normals[i * Dim + j] * (float)(mean[j] / rows.Supports);
            offsets[i] = (float)-dot;
        }
        return new Hyperplanes(planes.Family, planes.Count, Dim, planes.Normals, offsets, planes.Seed, 0);
    }

    [Fact]
    public void OneRestIsFittedPerEpisodeWithOnePlanePerClassOrTheRequestedLength()
    {
        var (test, testEmb) = Classes(10, 8, 23, shift: 1);
        using var cpu = new CpuBackend();
        var grid = new EvaluationGrid([5], [2], [3, 16], [OneVsRestFamily.Instance], Episodes: 10, Queries: 3)
        {
            Methods = [MatchMethod.CosineNearest, MatchMethod.HammingNearest, MatchMethod.Sigmoid, MatchMethod.Asymmetric],
        };
        var result = EvaluationRunner.Run(testEmb, Dim, test, grid, cpu);
        var hamming = result.Rows.Where(r => r.Method == "hamming").ToArray();
        Assert.Equal([5, 16], hamming.Select(r => r.Planes));   // 3 planes asked at 5 ways: the single one-vs-rest code
        Assert.All(hamming, r => Assert.Equal(HashConfig.SupportMean, r.Center));
        // Well-separated classes: a one-vs-rest code classifies far above chance (1/5).
        Assert.All(result.Rows.Where(r => r.Method != "cosine"), r => Assert.True(r.Mean > 0.5, $"{r.Method} at {r.Planes}: {r.Mean}"));
    }

    [Fact]
    public void AFittedFamilyWithoutTrainingEmbeddingsIsAnError()
    {
        var (test, testEmb) = Classes(10, 8, 24, shift: 0);
        using var cpu = new CpuBackend();
        var grid = new EvaluationGrid([5], [1], [4], [PcaPlanes.Instance], Episodes: 2, Queries: 3) { Methods = [MatchMethod.HammingNearest] };
        var e = Assert.Throws<ArgumentException>(() => EvaluationRunner.Run(testEmb, Dim, test, grid, cpu));
        Assert.Contains("'pca' is fitted to training-class embeddings", e.Message);
    }

    [Fact]
    public void PqRowsAreTheNearestReconstructionWithCodebooksFittedToTheTrainingSet()
    {
        var (test, testEmb) = Classes(10, 8, 26, shift: 0);
        var (_, trainEmb) = Classes(40, 8, 36, shift: 1);   // 320 rows: enough for 256 centroids
        using var cpu = new CpuBackend();
        var grid = new EvaluationGrid([4], [2], [16], [ProductQuantizerFamily.Instance], Episodes: 12, Queries: 3, Seed: 3)
        {
            Methods = [MatchMethod.CosineNearest, MatchMethod.HammingNearest, MatchMethod.Asymmetric],
            FittedCenters = [FittedCenter.TrainingMean, FittedCenter.SupportMean],
        };
        var result = EvaluationRunner.Run(testEmb, Dim, test, grid, cpu, training: trainEmb);
        // pq codes are scored asymmetrically only: no Hamming row, an asymmetric row per centre, 2 bytes per support
        Assert.DoesNotContain(result.Rows, r => r.Hash == "pq" && r.Method == "hamming");
        var pq = result.Rows.Where(r => r.Hash == "pq" && r.Method == "asymmetric").ToArray();
        Assert.Equal([HashConfig.TrainingMean, HashConfig.SupportMean], pq.Select(r => r.Center));
        Assert.All(pq, r => Assert.Equal(2, r.BytesPerSupport));

        var codebook = ProductQuantizerFamily.Instance.Fit(trainEmb, Dim, 16, 3);
        var sampler = new EpisodeSampler(test, new EpisodeSpec(4, 2, 3), 3);
        double training = 0, support = 0;
        for (int i = 0; i < grid.Episodes; i++)
        {
            var rows = EpisodeEmbeddings.Of(sampler.Sample(i), testEmb, Dim);
            training += PlainPqAccuracy(rows, codebook, throughSupportMean: false);
            support += PlainPqAccuracy(rows, codebook, throughSupportMean: true);
        }
        Assert.Equal(training / grid.Episodes, pq[0].Mean, 12);
        Assert.Equal(support / grid.Episodes, pq[1].Mean, 12);
        Assert.True(pq[0].Mean > 0.5, $"{pq[0].Mean} at 4 ways");
    }

    [Fact]
    public void PqWithoutTheAsymmetricMethodIsAnError()
    {
        var (test, testEmb) = Classes(10, 8, 27, shift: 0);
        var (_, trainEmb) = Classes(40, 8, 37, shift: 0);
        using var cpu = new CpuBackend();
        var grid = new EvaluationGrid([4], [1], [16], [ProductQuantizerFamily.Instance], Episodes: 2, Queries: 3) { Methods = [MatchMethod.HammingNearest] };
        var e = Assert.Throws<Lshk.App.SettingException>(() => EvaluationRunner.Run(testEmb, Dim, test, grid, cpu, training: trainEmb));
        Assert.Contains("scored only by the asymmetric method", e.Message);
    }

    // Float64 from the definition: unit rows, supports coded by their nearest centroids (after the shift to the
    // support mean, when asked), each query matched to the support whose reconstruction has the highest cosine.
    private static double PlainPqAccuracy(EpisodeEmbeddings rows, Lshk.Lsh.Quantization.ProductCodebook codebook, bool throughSupportMean)
    {
        int n = rows.Supports, m = codebook.Subspaces, words = codebook.Words;
        float[] unit = Lshk.Lsh.Quantization.ProductCodebook.UnitRows(rows.All, n + rows.Queries, Dim);
        float[] shift = throughSupportMean ? codebook.ShiftTo(new CpuBackend(), rows.SupportRows, n) : new float[Dim];
        float[] moved = unit.Take(n * Dim).Select((v, i) => v - shift[i % Dim]).ToArray();
        var codes = new uint[n * words];
        for (int s = 0; s < n; s++)
            for (int j = 0; j < m; j++)
                codes[s * words + j / 4] |= (uint)Lshk.Tests.Reference.ProductCodeReference.Nearest(moved, s, Dim, codebook.Centroids, m, j) << (8 * (j % 4));
        float[] queries = unit.Skip(n * Dim).ToArray();
        int correct = 0;
        for (int qi = 0; qi < rows.Queries; qi++)
        {
            int best = -1;
            double bestScore = double.NegativeInfinity;
            for (int s = 0; s < n; s++)
            {
                double score = Lshk.Tests.Reference.ProductCodeReference.Score(queries, qi, codes, s, Dim, codebook.Centroids, m, shift);
                if (score > bestScore) (best, bestScore) = (s, score);
            }
            if (rows.SupportLabels[best] == rows.QueryLabels[qi]) correct++;
        }
        return (double)correct / rows.Queries;
    }

    private static double[] Mean(float[] x, int n)
    {
        var mean = new double[Dim];
        for (int r = 0; r < n; r++)
            for (int j = 0; j < Dim; j++) mean[j] += x[r * Dim + j] / (double)n;
        return mean;
    }

    // Scalar double-precision: projections p = n·x + o; Hamming nearest on sign bits, or the highest Σ p_q,i·(±1 of s_i);
    // ties to the lower support.
    private static double PlainAccuracy(EpisodeEmbeddings rows, Hyperplanes planes, bool asymmetric)
    {
        double Projection(int row, int i)
        {
            double v = planes.Offsets![i];
            for (int j = 0; j < Dim; j++) v += (double)planes.Normals[i * Dim + j] * rows.All[row * Dim + j];
            return v;
        }
        int correct = 0;
        for (int qi = 0; qi < rows.Queries; qi++)
        {
            int query = rows.Supports + qi, best = -1;
            double bestScore = double.NegativeInfinity;
            for (int s = 0; s < rows.Supports; s++)
            {
                double score = 0;
                for (int i = 0; i < planes.Count; i++)
                {
                    bool supportBit = Projection(s, i) >= 0;
                    score += asymmetric ? (supportBit ? 1 : -1) * (double)(float)Projection(query, i)
                        : supportBit == Projection(query, i) >= 0 ? 1 : 0;
                }
                if (score > bestScore) (best, bestScore) = (s, score);
            }
            if (rows.SupportLabels[best] == rows.QueryLabels[qi]) correct++;
        }
        return (double)correct / rows.Queries;
    }
}
