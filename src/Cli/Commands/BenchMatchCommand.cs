using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Lshk.Data;
using Lshk.Kernels;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Gpu;
using Lshk.Kernels.Random;
using Lshk.Lsh;
using Spectre.Console;

namespace Lshk.Cli.Commands;

/// <summary>
/// <c>lshk bench match</c>: Hamming search, asymmetric search (real query projections against the same support codes)
/// and dense cosine search, measured in the same run on the same random embeddings (codes come from hashing them
/// with Gaussian planes); with <c>--product-codes</c> also product-quantiser codes of the same length (P/8 bytes,
/// searched by cosine to the reconstruction, as the pq and opq families are; random centroids, which cost the same).
/// </summary>
internal static class BenchMatchCommand
{
    public sealed record Row(string Method, int N, int Planes, int Dim, int K, int Queries, double BuildSeconds,
        double SearchSeconds, double QueriesPerSecond, double ComparisonsPerSecond, double GBytesPerSecond, int BytesPerItem);

    public static Command Create()
    {
        var n = CommonOptions.IntList("--n", "Support set sizes", 1000, 100_000, 1_000_000);
        var planes = CommonOptions.IntList("--planes", "Hash bits (planes) per code", 64, 256);
        var ks = CommonOptions.IntList("--k", "Neighbours returned per query", 1);
        var queries = new Option<int>("--queries") { Description = "Queries per search", DefaultValueFactory = _ => 1000 };
        var dim = new Option<int>("--dim") { Description = "Embedding dimension", DefaultValueFactory = _ => 64 };
        var repeat = new Option<int>("--repeat") { Description = "Searches timed per configuration (the best counts)", DefaultValueFactory = _ => 3 };
        var seed = new Option<ulong>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 1UL };
        var noCosine = new Option<bool>("--no-cosine") { Description = "Skip the dense cosine baseline" };
        var noAsymmetric = new Option<bool>("--no-asymmetric") { Description = "Skip asymmetric scoring (real query projections against the codes)" };
        var productCodes = new Option<bool>("--product-codes") { Description = "Also time product-quantiser codes of each length (P/8 bytes each, searched as the pq and opq families are: cosine to the reconstruction)" };
        var membw = new Option<bool>("--memory-bandwidth") { Description = "Also measure the device's memory bandwidth (CPU: all cores reading; CUDA: a device-to-device copy, read + write)", DefaultValueFactory = _ => true };
        var randomCodes = new Option<bool>("--random-codes") { Description = "Draw the support and query codes as uniform random bits instead of hashing embeddings (Hamming only): for N too large to embed; a scan costs the same on any bits" };
        var json = new Option<string?>("--json") { Description = "Write the results as JSON to this file" };
        var device = CommonOptions.Device();

        var command = new Command("match", "Hamming, asymmetric and cosine top-k search speed: queries/s, comparisons/s, GB/s, bytes per item")
        {
            n, planes, ks, queries, dim, repeat, seed, noCosine, noAsymmetric, productCodes, membw, randomCodes, json, device,
        };
        command.SetAction(parse =>
        {
            int q = parse.GetValue(queries), d = parse.GetValue(dim), reps = parse.GetValue(repeat);
            UsageException.RequirePositive(q, "--queries");
            UsageException.RequirePositive(d, "--dim");
            UsageException.RequirePositive(reps, "--repeat");
            foreach (int v in parse.GetValue(n)!) UsageException.RequirePositive(v, "--n");
            foreach (int v in parse.GetValue(planes)!) UsageException.RequirePositive(v, "--planes");
            foreach (int v in parse.GetValue(ks)!) UsageException.RequirePositive(v, "--k");
            ulong s = parse.GetValue(seed);
            var console = Output.Console(parse);
            using var backend = CommonOptions.OpenDevice(parse, device);
            console.MarkupLine($"device: [bold]{Markup.Escape(backend.Device.Name)}[/]");

            var rows = new List<Row>();
            var table = new Table().AddColumns("method", "N", "planes/dim", "k", "build s", "search s", "queries/s",
                "comparisons/s", "GB/s streamed", "bytes/item");
            float[] queryEmb = RandomArrays.Gaussian((long)q * d, s, 2);

            // Times an index's build, then its best search for each k: one row per k.
            void Measure<TIndex>(string method, int size, int p, int bytesPerItem, Func<TIndex> build,
                Action<TIndex, int> search) where TIndex : IDisposable
            {
                var watch = Stopwatch.StartNew();
                using var index = build();
                double buildSeconds = watch.Elapsed.TotalSeconds;
                foreach (int k in parse.GetValue(ks)!)
                {
                    double best = Timing.Best(() => search(index, k), reps);
                    rows.Add(MakeRow(method, size, p, d, k, q, buildSeconds, best, bytesPerItem));
                }
            }

            foreach (int size in parse.GetValue(n)!)
            {
                if (parse.GetValue(randomCodes))
                {
                    foreach (int p in parse.GetValue(planes)!)
                    {
                        uint[] supportCodes = RandomArrays.Codes(size, p, s, 1);
                        uint[] queryCodes = RandomArrays.Codes(q, p, s, 2);
                        Measure("hamming", size, p, Check.Words(p) * 4,
                            () => backend.CreateHammingIndex(supportCodes, size, p),
                            (index, k) => index.Search(queryCodes, q, k));
                    }
                    continue;
                }
                float[] support = RandomArrays.Gaussian((long)size * d, s, 1);
                foreach (int p in parse.GetValue(planes)!)
                {
                    var hasher = new LshHasher(Hyperplanes.Generate(PlaneFamily.Gaussian, p, d, s));
                    uint[] supportCodes = hasher.Hash(backend, support, size);
                    uint[] queryCodes = hasher.Hash(backend, queryEmb, q);
                    Measure("hamming", size, p, Check.Words(p) * 4,
                        () => backend.CreateHammingIndex(supportCodes, size, p),
                        (index, k) => index.Search(queryCodes, q, k));
                    if (!parse.GetValue(noAsymmetric))
                    {
                        // The same support codes; the queries keep their projections before the sign.
                        float[] queryProjections = hasher.Project(backend, queryEmb, q);
                        Measure("asymmetric", size, p, Check.Words(p) * 4,
                            () => backend.CreateAsymmetricIndex(supportCodes, size, p),
                            (index, k) => index.Search(queryProjections, q, k));
                    }
                    int subspaces = p / ProductCodes.BitsPerSubspace;
                    if (parse.GetValue(productCodes) && p % ProductCodes.BitsPerSubspace == 0 && d % subspaces == 0)
                    {
                        // Codes of P/8 bytes for the same supports; the top-k call takes the codes directly (no index to build).
                        float[] centroids = RandomArrays.Gaussian((long)ProductCodes.Centroids * d, s, 3);
                        var byteCodes = new uint[(long)size * ProductCodes.Words(subspaces)];
                        backend.QuantizeProducts(support, size, d, centroids, subspaces, byteCodes);
                        Measure("pq", size, p, p / 8, () => new NoIndex(),
                            (_, k) => backend.ProductCodeTopK(queryEmb, q, byteCodes, size, d, centroids, subspaces, [], k));
                    }
                }
                if (!parse.GetValue(noCosine))
                    Measure("cosine", size, 0, d * sizeof(float), () => backend.CreateCosineIndex(support, size, d),
                        (index, k) => index.Search(queryEmb, q, k));
            }
            foreach (var r in rows)
                table.AddRow(r.Method, r.N.ToString("N0"), r.Method == "cosine" ? $"dim {r.Dim}" : $"{r.Planes}",
                    r.K.ToString(), $"{r.BuildSeconds:F3}", $"{r.SearchSeconds:F4}", $"{r.QueriesPerSecond:N0}",
                    $"{r.ComparisonsPerSecond:G3}", $"{r.GBytesPerSecond:F1}", r.BytesPerItem.ToString());
            console.Write(table);

            double? bandwidth = null;
            if (parse.GetValue(membw))
            {
                if (backend is IlgpuBackend { Device.Backend: "cuda" } gpu)
                {
                    bandwidth = gpu.MeasureCopyGBps();
                    console.MarkupLine($"device memory bandwidth (2 GiB device-to-device copy, read + write): [bold]{bandwidth:F1} GB/s[/]");
                }
                else
                {
                    bandwidth = MemoryBandwidth.MeasureReadGBps();
                    console.MarkupLine($"memory read bandwidth (all cores, 1 GiB buffer): [bold]{bandwidth:F1} GB/s[/]");
                }
            }
            string? path = parse.GetValue(json);
            if (path is not null)
            {
                var doc = new
                {
                    device = backend.Device.Name,
                    backend = backend.Device.Backend,
                    processors = Environment.ProcessorCount,
                    memoryReadGBps = bandwidth,
                    queries = q,
                    dim = d,
                    repeats = reps,
                    seed = s,
                    rows,
                };
                AtomicFile.WriteAllText(path, JsonSerializer.Serialize(doc, JsonOptions.Indented));
            }
            return 0;
        });
        return command;
    }

    private sealed class NoIndex : IDisposable
    {
        public void Dispose() { }
    }

    private static Row MakeRow(string method, int n, int p, int d, int k, int q, double build, double seconds, int bytesPerItem)
    {
        double pairs = (double)n * q;
        return new Row(method, n, p, d, k, q, build, seconds, q / seconds, pairs / seconds, pairs * bytesPerItem / seconds / 1e9,
            bytesPerItem);
    }
}
