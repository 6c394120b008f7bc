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
        IComputeBackend backend, Action<string>? log = null, float[]? training = null, Hyperplanes? stored = null,
        Lshk.Lsh.Quantization.ProductCodebook? storedCodebook = null)
    {
        grid.Validated();
        Check.Positive(dim, "embedding dimension");
        if (embeddings.LongLength != (long)data.Count * dim)
            throw new ArgumentException($"{embeddings.LongLength} embedding values for {data.Count} images of dimension {dim}");
        Check.Finite(embeddings, dim, "embeddings");
        foreach (int ways in grid.Ways)
            if (ways > data.ClassCount)
                throw new SettingException("ways", $"{ways} is more than the {data.ClassCount} classes of {data.Source}");
        if (grid.Replay is { } replay && (replay.Images != data.Count || replay.Classes != data.ClassCount))
            throw new ArgumentException($"the episode list was drawn from {replay.Images} images of {replay.Classes} classes, not {data.Source}'s {data.Count} of {data.ClassCount} (load it with the dataset to check it)");

        var total = Stopwatch.StartNew();
        var methods = grid.Methods;
        bool anyPlanes = methods.Any(m => m.UsesPlanes());
        var configs = anyPlanes ? HashConfig.For(grid, dim, training, stored, storedCodebook) : [];
        // Fixed planes not centred on the support set hash every episode with the same hasher.
        var fixedHashers = configs.Select(c => c.Fixed is null ? null : new LshHasher(c.Fixed)).ToArray();
        // A support index would store the supports' codes only: the queries stay real for the asymmetric score.

        // The CPU backend is thread-safe and gains from evaluating several episodes at once; a device is driven from one thread.
        int threads = backend.Device.Backend == "cpu" ? (grid.Threads == 0 ? Environment.ProcessorCount : grid.Threads) : 1;
        var rows = new List<EvaluationRow>();
        foreach (int ways in grid.Ways)
            foreach (int shots in grid.Shots)
            {
                foreach (var source in EpisodeSource.For(data, grid, ways, shots))
                {
                    var watch = Stopwatch.StartNew();
                    var shape = new ShapeResults(methods.Count, configs.Count, source.Count);
                    Parallel.For(0, source.Count, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
                        EvaluateEpisode(backend, source.Episode(i), i, embeddings, dim, grid, methods, configs, fixedHashers, shape));
                    AddRows(rows, ways, shots, grid, source, methods, configs, shape, dim);
                    log?.Invoke($"{ways}-way {shots}-shot ({source.Protocol}): {source.Count} episodes in {watch.Elapsed.TotalSeconds:F1} s");
                }
            }
        return new EvaluationResult(grid, dim, backend.Device.Name, rows, total.Elapsed.TotalSeconds);
    }

    /// <summary>Per-episode accuracies and summed times of one episode shape and protocol: [method][config][episode].</summary>
    private sealed class ShapeResults(int methods, int configs, int episodes)
    {
        public readonly double[][][] Accuracy = Enumerable.Range(0, methods)
            .Select(_ => Enumerable.Range(0, Math.Max(1, configs)).Select(_ => new double[episodes]).ToArray()).ToArray();
        public readonly long[,] MatchTicks = new long[methods, Math.Max(1, configs)];
        public readonly long[] HashTicks = new long[Math.Max(1, configs)];
        public readonly long[] ProjectTicks = new long[Math.Max(1, configs)];
        /// <summary>The plane count each configuration made (a per-episode family may round the requested one).</summary>
        public readonly int[] Made = new int[Math.Max(1, configs)];
        /// <summary>Queries of each episode (the same for all but trials).</summary>
        public readonly int[] Queries = new int[episodes];
    }

    private static void EvaluateEpisode(IComputeBackend backend, Episode episode, int index, float[] embeddings, int dim,
        EvaluationGrid grid, IReadOnlyList<MatchMethod> methods, List<HashConfig> configs, LshHasher?[] fixedHashers,
        ShapeResults results)
    {
        var rows = EpisodeEmbeddings.Of(episode, embeddings, dim);
        int n = rows.Supports, q = rows.Queries, ways = episode.Ways;
        results.Queries[index] = q;
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
            if (config.Codebook is { } codebook)
            {
                EvaluateCodebook(backend, codebook, config.OnSupportMean, c, index, rows, methods, results);
                continue;
            }
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

    /// <summary>
    /// A product-quantiser configuration: the supports coded (around the training mean, or their own mean), each query
    /// kept real and matched to the support whose reconstruction is nearest in cosine. Only the asymmetric method
    /// scores such codes; the grid's other plane methods have no row for them.
    /// </summary>
    private static void EvaluateCodebook(IComputeBackend backend, Lshk.Lsh.Quantization.ProductCodebook codebook,
        bool onSupportMean, int c, int index, EpisodeEmbeddings rows, IReadOnlyList<MatchMethod> methods, ShapeResults results)
    {
        int n = rows.Supports, q = rows.Queries;
        results.Made[c] = codebook.Bits;
        var watch = Stopwatch.StartNew();
        var shift = onSupportMean ? codebook.ShiftTo(backend, rows.SupportRows, n) : null;
        var codes = codebook.Encode(backend, rows.SupportRows, n, shift);
        Interlocked.Add(ref results.HashTicks[c], watch.ElapsedTicks);
        int m = IndexOf(methods, MatchMethod.Asymmetric);
        watch.Restart();
        int[] predicted = Matching.ProductCodes(backend, codebook, codes, n, rows.SupportLabels, rows.QueryRows, q, shift);
        Interlocked.Add(ref results.MatchTicks[m, c], watch.ElapsedTicks);
        results.Accuracy[m][c][index] = Fraction(predicted, rows.QueryLabels);
    }

    private static int IndexOf(IReadOnlyList<MatchMethod> methods, MatchMethod method)
    {
        for (int i = 0; i < methods.Count; i++)
            if (methods[i] == method) return i;
        throw new ArgumentException($"the grid does not run the {method.Name()} method");
    }

    /// <summary>The fraction of predictions equal to the true labels.</summary>
    public static double Fraction(ReadOnlySpan<int> predicted, ReadOnlySpan<int> truth)
    {
        int correct = 0;
        for (int i = 0; i < truth.Length; i++)
            if (predicted[i] == truth[i]) correct++;
        return truth.Length == 0 ? 0 : (double)correct / truth.Length;
    }

    private static void AddRows(List<EvaluationRow> rows, int ways, int shots, EvaluationGrid grid, EpisodeSource source,
        IReadOnlyList<MatchMethod> methods, List<HashConfig> configs, ShapeResults shape, int dim)
    {
        double MsPerEpisode(long ticks) => ticks * 1000.0 / Stopwatch.Frequency / source.Count;
        int queries = grid.Spec(ways, shots).QueryCount;
        AccuracyStats Stats(double[] perEpisode) => source.OverQueries
            ? AccuracyStats.Wilson((int)Math.Round(perEpisode[0] * shape.Queries[0]), shape.Queries[0])
            : AccuracyStats.Of(perEpisode);
        EvaluationRow Row(string hash, int planes, MatchMethod method, AccuracyStats s, int bytes, double hashMs, double matchMs, string center) =>
            new(ways, shots, hash, planes, method.Name(), s.Mean, s.Ci95, source.Count, queries, bytes, hashMs, matchMs, center,
                source.Protocol, s.Low, s.High);
        if (configs.Count == 0)
        {
            for (int m = 0; m < methods.Count; m++)
                rows.Add(Row("", 0, methods[m], Stats(shape.Accuracy[m][0]), methods[m].BytesPerSupport(0, dim), 0,
                    MsPerEpisode(shape.MatchTicks[m, 0]), OnOff(grid.Center)));
            return;
        }
        for (int c = 0; c < configs.Count; c++)
            for (int m = 0; m < methods.Count; m++)
            {
                var method = methods[m];
                bool hashed = method.UsesPlanes();
                if (hashed && configs[c].Codebook is not null && method != MatchMethod.Asymmetric) continue;
                int slot = hashed ? c : 0;
                long hashTicks = !hashed ? 0 : method == MatchMethod.Sigmoid ? shape.ProjectTicks[c]
                    : method == MatchMethod.Asymmetric ? shape.HashTicks[c] + shape.ProjectTicks[c] : shape.HashTicks[c];
                // (a codebook's hash time is its supports' coding; its queries are only scaled, never projected)
                // Random planes keep the on/off of the grid's centring (the column's original values); the others
                // say the centre they carry.
                string center = configs[c].Family.Kind == HashFamilyKind.Random ? OnOff(grid.Center) : configs[c].Center(grid.Center);
                rows.Add(Row(configs[c].Family.Name, shape.Made[c], method, Stats(shape.Accuracy[m][slot]),
                    method.BytesPerSupport(shape.Made[c], dim), MsPerEpisode(hashTicks), MsPerEpisode(shape.MatchTicks[m, slot]), center));
            }
    }

    private static string OnOff(bool center) => center ? "on" : "off";
}
