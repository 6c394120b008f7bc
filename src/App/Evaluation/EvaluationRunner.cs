using System.Diagnostics;
using Lshk.Data;
using Lshk.Data.Episodes;
using Lshk.Kernels;
using Lshk.Lsh;

namespace Lshk.App.Evaluation;

/// <summary>
/// Scores every matching method and hashing configuration on the same episodes and the same embeddings.
/// Episode i of a shape is a function of (seed, i) only, the planes of a configuration of (family, P, seed) only,
/// and each episode's accuracies land in their own slot before being averaged in episode order, so the result is
/// the same whatever the number of threads or the order episodes finish in.
/// </summary>
public static class EvaluationRunner
{
    /// <summary>
    /// Evaluates the grid on <paramref name="data"/>'s classes, with <paramref name="embeddings"/> (data.Count × dim)
    /// the embedding of each of its images. Fitted families are fitted once to <paramref name="training"/>, embeddings
    /// of the model's training classes (never <paramref name="data"/>'s); the grid needs them only when it names one that
    /// the model's <paramref name="stored"/> planes (of one family and count) do not serve.
    /// <paramref name="log"/> hears one line per episode shape.
    /// </summary>
    public static EvaluationResult Run(float[] embeddings, int dim, Dataset data, EvaluationGrid grid,
        IComputeBackend backend, Action<string>? log = null, float[]? training = null, Hyperplanes? stored = null)
    {
        grid.Validated();
        Check.Positive(dim, "embedding dimension");
        if (embeddings.LongLength != (long)data.Count * dim)
            throw new ArgumentException($"{embeddings.LongLength} embedding values for {data.Count} images of dimension {dim}");
        Check.Finite(embeddings, dim, "embeddings");
        foreach (int ways in grid.Ways)
            if (ways > data.ClassCount)
                throw new SettingException("ways", $"{ways} is more than the {data.ClassCount} classes of {data.Source}");

        var total = Stopwatch.StartNew();
        var methods = grid.Methods;
        bool anyPlanes = methods.Any(m => m.UsesPlanes());
        var configs = anyPlanes ? HashConfig.For(grid, dim, training, stored) : [];
        // Fixed planes not centred on the support set hash every episode with the same hasher.
        var fixedHashers = configs.Select(c => c.Fixed is null ? null : new LshHasher(c.Fixed)).ToArray();

        // The CPU backend is thread-safe and gains from evaluating several episodes at once; a device is driven from one thread.
        int threads = backend.Device.Backend == "cpu" ? (grid.Threads == 0 ? Environment.ProcessorCount : grid.Threads) : 1;
        var rows = new List<EvaluationRow>();
        foreach (int ways in grid.Ways)
            foreach (int shots in grid.Shots)
            {
                var watch = Stopwatch.StartNew();
                var sampler = new EpisodeSampler(data, new EpisodeSpec(ways, shots, grid.Queries, grid.Mode), grid.Seed);
                var shape = new ShapeResults(methods.Count, configs.Count, grid.Episodes);
                Parallel.For(0, grid.Episodes, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
                    EvaluateEpisode(backend, sampler.Sample(i), i, embeddings, dim, grid, methods, configs, fixedHashers, shape));
                AddRows(rows, ways, shots, grid, methods, configs, shape, dim);
                log?.Invoke($"{ways}-way {shots}-shot: {grid.Episodes} episodes in {watch.Elapsed.TotalSeconds:F1} s");
            }
        return new EvaluationResult(grid, dim, backend.Device.Name, rows, total.Elapsed.TotalSeconds);
    }

    /// <summary>Per-episode accuracies and summed times of one episode shape: [method][config][episode].</summary>
    private sealed class ShapeResults(int methods, int configs, int episodes)
    {
        public readonly double[][][] Accuracy = Enumerable.Range(0, methods)
            .Select(_ => Enumerable.Range(0, Math.Max(1, configs)).Select(_ => new double[episodes]).ToArray()).ToArray();
        public readonly long[,] MatchTicks = new long[methods, Math.Max(1, configs)];
        public readonly long[] HashTicks = new long[Math.Max(1, configs)];
        public readonly long[] ProjectTicks = new long[Math.Max(1, configs)];
        /// <summary>The plane count each configuration made (a per-episode family may round the requested one).</summary>
        public readonly int[] Made = new int[Math.Max(1, configs)];
    }

    private static void EvaluateEpisode(IComputeBackend backend, Episode episode, int index, float[] embeddings, int dim,
        EvaluationGrid grid, IReadOnlyList<MatchMethod> methods, List<HashConfig> configs, LshHasher?[] fixedHashers,
        ShapeResults results)
    {
        var rows = EpisodeEmbeddings.Of(episode, embeddings, dim);
        int n = rows.Supports, q = rows.Queries, ways = episode.Ways;
        var x = rows.All;
        var supportLabels = rows.SupportLabels;
        var queryLabels = rows.QueryLabels;
        var support = rows.SupportRows;
        var queries = rows.QueryRows;

        var watch = new Stopwatch();
        for (int m = 0; m < methods.Count; m++)
        {
            if (methods[m].UsesPlanes()) continue;
            watch.Restart();
            int[] predicted = methods[m] switch
            {
                MatchMethod.CosineNearest => Matching.CosineNearest(backend, support, n, dim, supportLabels, queries, q),
                MatchMethod.CosineMean => Matching.CosineMean(backend, support, n, dim, supportLabels, ways, queries, q),
                _ => Matching.EuclideanMean(backend, support, n, dim, supportLabels, ways, queries, q),
            };
            Interlocked.Add(ref results.MatchTicks[m, 0], watch.ElapsedTicks);
            results.Accuracy[m][0][index] = Fraction(predicted, queryLabels);
        }

        bool needCodes = methods.Any(m => m is MatchMethod.HammingNearest or MatchMethod.HammingMajority or MatchMethod.Asymmetric);
        bool needProjections = methods.Any(m => m is MatchMethod.Sigmoid or MatchMethod.Asymmetric);
        for (int c = 0; c < configs.Count; c++)
        {
            var config = configs[c];
            var planes = config.Fixed ?? ((IEpisodeHashFamily)config.Family).Fit(support, dim, supportLabels, ways,
                config.Requested, grid.Seed + (ulong)index);
            results.Made[c] = planes.Count;
            var hasher = config.CentersOnSupport(grid.Center) ? LshHasher.CenteredOn(planes, support, n)
                : fixedHashers[c] ?? new LshHasher(planes);
            uint[] codes = [];
            float[] projections = [];
            if (needCodes)
            {
                watch.Restart();
                codes = hasher.Hash(backend, x, n + q);
                Interlocked.Add(ref results.HashTicks[c], watch.ElapsedTicks);
            }
            if (needProjections)
            {
                watch.Restart();
                projections = hasher.Project(backend, x, n + q);
                Interlocked.Add(ref results.ProjectTicks[c], watch.ElapsedTicks);
            }
            int words = planes.Words, p = planes.Count;
            for (int m = 0; m < methods.Count; m++)
            {
                if (!methods[m].UsesPlanes()) continue;
                watch.Restart();
                int[] predicted = methods[m] switch
                {
                    MatchMethod.HammingNearest => Matching.HammingNearest(backend, codes.AsSpan(0, n * words), n, p,
                        supportLabels, codes.AsSpan(n * words), q),
                    MatchMethod.HammingMajority => Matching.HammingMajority(backend, codes.AsSpan(0, n * words), n, p,
                        supportLabels, ways, codes.AsSpan(n * words), q),
                    MatchMethod.Asymmetric => Matching.Asymmetric(backend, codes.AsSpan(0, n * words), n, p, supportLabels,
                        projections.AsSpan(n * p), q),
                    _ => Matching.Sigmoid(backend, projections.AsSpan(0, n * p), n, p, supportLabels,
                        projections.AsSpan(n * p), q, grid.Sharpness),
                };
                Interlocked.Add(ref results.MatchTicks[m, c], watch.ElapsedTicks);
                results.Accuracy[m][c][index] = Fraction(predicted, queryLabels);
            }
        }
    }

    /// <summary>The fraction of predictions equal to the true labels.</summary>
    public static double Fraction(ReadOnlySpan<int> predicted, ReadOnlySpan<int> truth)
    {
        int correct = 0;
        for (int i = 0; i < truth.Length; i++)
            if (predicted[i] == truth[i]) correct++;
        return truth.Length == 0 ? 0 : (double)correct / truth.Length;
    }

    private static void AddRows(List<EvaluationRow> rows, int ways, int shots, EvaluationGrid grid,
        IReadOnlyList<MatchMethod> methods, List<HashConfig> configs, ShapeResults shape, int dim)
    {
        double MsPerEpisode(long ticks) => ticks * 1000.0 / Stopwatch.Frequency / grid.Episodes;
        int queries = ways * grid.Queries;
        if (configs.Count == 0)
        {
            for (int m = 0; m < methods.Count; m++)
            {
                var s = AccuracyStats.Of(shape.Accuracy[m][0]);
                rows.Add(new EvaluationRow(ways, shots, "", 0, methods[m].Name(), s.Mean, s.Ci95, s.Episodes, queries,
                    methods[m].BytesPerSupport(0, dim), 0, MsPerEpisode(shape.MatchTicks[m, 0]), OnOff(grid.Center)));
            }
            return;
        }
        for (int c = 0; c < configs.Count; c++)
            for (int m = 0; m < methods.Count; m++)
            {
                var method = methods[m];
                bool hashed = method.UsesPlanes();
                int slot = hashed ? c : 0;
                var s = AccuracyStats.Of(shape.Accuracy[m][slot]);
                long hashTicks = !hashed ? 0 : method == MatchMethod.Sigmoid ? shape.ProjectTicks[c]
                    : method == MatchMethod.Asymmetric ? shape.HashTicks[c] + shape.ProjectTicks[c] : shape.HashTicks[c];
                // Random planes keep the on/off of the grid's centring (the column's original values); the others
                // say the centre they carry.
                string center = configs[c].Family.Kind == HashFamilyKind.Random ? OnOff(grid.Center) : configs[c].Center(grid.Center);
                rows.Add(new EvaluationRow(ways, shots, configs[c].Family.Name, shape.Made[c], method.Name(), s.Mean,
                    s.Ci95, s.Episodes, queries, method.BytesPerSupport(shape.Made[c], dim), MsPerEpisode(hashTicks),
                    MsPerEpisode(shape.MatchTicks[m, slot]), center));
            }
    }

    private static string OnOff(bool center) => center ? "on" : "off";
}
