using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Lshk.Cli.Evaluation;
using Lshk.Cli.Modeling;
using Lshk.Data;
using Lshk.Data.Caching;
using Lshk.Data.Episodes;
using Lshk.Data.Sources;
using Lshk.Lsh;
using Spectre.Console;

namespace Lshk.Cli.Commands;

/// <summary>
/// <c>lshk eval</c>: a model's few-shot accuracy on a dataset's test classes with every matching method (dense
/// cosine and Euclidean baselines, Hamming and sigmoid LSH at each plane count and hash family), all scored on the
/// same episodes and the same embeddings.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model file (.safetensors) to evaluate", Required = true };
        var data = new Option<string?>("--data") { Description = "Dataset NAME or NAME:PATH (default: the model's training dataset, else omniglot); its test classes are used" };
        var ways = CommonOptions.IntList("--ways", "N: classes per episode (comma-separated)", 5, 20);
        var shots = CommonOptions.IntList("--shots", "K: support images per class (comma-separated)", 1, 5);
        var planes = CommonOptions.IntList("--planes", "Hash planes (bits per code), comma-separated", 16, 32, 64, 128);
        var hash = new Option<string>("--hash") { Description = $"Hash families (comma-separated): {string.Join(", ", HashFamilies.Names)}", DefaultValueFactory = _ => "gaussian,uniform,integer" };
        var methods = new Option<string?>("--methods") { Description = "Matching methods (default all): cosine, cosine-mean, euclidean-mean, hamming, hamming-proto, sigmoid" };
        var episodes = new Option<int>("--episodes") { Description = "Episodes per (ways, shots)", DefaultValueFactory = _ => 1000 };
        var queries = new Option<int>("--queries") { Description = "Query images per class", DefaultValueFactory = _ => 15 };
        var withinGroup = new Option<bool>("--within-group") { Description = "Draw all N classes of an episode from one group (one Omniglot alphabet)" };
        var center = new Option<string>("--center") { Description = "on: subtract the episode's support mean before hashing; off: hash the embeddings as they are", DefaultValueFactory = _ => "on" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the episodes and the planes", DefaultValueFactory = _ => 1UL };
        var threads = new Option<int>("--threads") { Description = "Episodes evaluated at once on the CPU (0: one per core); results do not depend on it", DefaultValueFactory = _ => 0 };
        var csv = new Option<string?>("--csv") { Description = "Write one CSV row per (ways, shots, hash, planes, method)" };
        var json = new Option<string?>("--json") { Description = "Write the results as JSON" };
        var plot = new Option<string?>("--plot") { Description = "Write a PNG plot: accuracy against planes per (ways, shots)" };
        var split = new Option<string?>("--split") { Description = "Class split of datasets other than Omniglot (see lshk data episodes)" };
        var noCache = new Option<bool>("--no-cache") { Description = "Read the dataset's source files, neither reading nor writing the cache" };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Dataset cache folder (default: $LSHK_DATA/cache, else data/cache in the repository)" };
        var device = CommonOptions.Device();
        var command = new Command("eval", "Few-shot accuracy of a model: cosine vs LSH matching on the same episodes")
        {
            model, data, ways, shots, planes, hash, methods, episodes, queries, withinGroup, center, seed, threads, csv, json,
            plot, split, noCache, cacheDir, device,
        };
        command.SetAction(parse =>
        {
            var grid = new EvaluationGrid(parse.GetValue(ways)!, parse.GetValue(shots)!, parse.GetValue(planes)!,
                ParseList(parse.GetValue(hash)!, name => HashFamilies.Get(name)), parse.GetValue(episodes), parse.GetValue(queries),
                parse.GetValue(withinGroup) ? EpisodeMode.WithinGroup : EpisodeMode.Unstructured,
                ParseOnOff(parse.GetValue(center)!, "--center"), parse.GetValue(seed), Threads: parse.GetValue(threads))
            {
                Methods = parse.GetValue(methods) is { } m ? ParseList(m, MatchMethods.Parse) : MatchMethods.All,
            }.Validated();
            var console = Output.Console(parse);
            var log = Output.Error(parse);
            string modelPath = parse.GetValue(model)!;
            using var backend = CommonOptions.OpenDevice(parse, device);
            using var embedder = Embedder.Load(modelPath, backend);
            var preprocessing = ImagePreprocessing.FromMetadata(embedder.Metadata, embedder.Config.InputSize,
                embedder.Config.InputChannels, modelPath);

            string dataText = parse.GetValue(data) ?? (embedder.Metadata.TryGetValue("lshk.data", out var d) ? d : "omniglot");
            var locations = DataLocations.FromEnvironment();
            var loader = new DatasetLoader(locations, parse.GetValue(noCache) ? null : new DatasetCache(parse.GetValue(cacheDir) ?? locations.CacheFolder()));
            var test = LoadTestClasses(loader, DatasetSpec.Parse(dataText), preprocessing, parse.GetValue(split));
            if (test.Channels != embedder.Config.InputChannels || test.Height != embedder.Config.InputSize || test.Width != embedder.Config.InputSize)
                throw new InvalidDataException($"{modelPath}: the model takes {embedder.Config.InputChannels}×{embedder.Config.InputSize}×{embedder.Config.InputSize} images but {test.Source} has {test.Channels}×{test.Height}×{test.Width}");
            foreach (int w in grid.Ways)
                if (w > test.ClassCount)
                    throw new ArgumentException($"--ways {w} is more than the {test.ClassCount} test classes of {test.Source}");

            var watch = Stopwatch.StartNew();
            float[] images = test.Images;
            if (preprocessing.Mean is not null || preprocessing.Std is not null)
            {
                images = (float[])images.Clone();
                preprocessing.Normalise(images);
            }
            float[] embeddings = embedder.Embed(images, test.Count);
            log.WriteLine($"embedded {test.Count} images of {test.ClassCount} classes ({test.Source}) in {watch.Elapsed.TotalSeconds:F1} s on {backend.Device.Name}");

            var result = EvaluationRunner.Run(embeddings, embedder.Dim, test, grid, backend, log.WriteLine);
            log.WriteLine($"evaluated in {result.Seconds:F1} s");
            console.Write(EvaluationTable.Build(result));

            var modelColumns = ModelColumns(modelPath, embedder, dataText);
            if (parse.GetValue(csv) is { } csvPath) EvaluationFiles.WriteCsv(csvPath, result, modelColumns);
            if (parse.GetValue(json) is { } jsonPath) EvaluationFiles.WriteJson(jsonPath, result, modelColumns);
            if (parse.GetValue(plot) is { } plotPath)
                EvaluationPlot.Write(plotPath, result, $"{grid.Episodes} episodes ({Path.GetFileName(modelPath)})");
            return 0;
        });
        return command;
    }

    /// <summary>The test classes: Omniglot's evaluation alphabets (read alone), else the dataset's test split.</summary>
    private static Dataset LoadTestClasses(DatasetLoader loader, DatasetSpec spec, ImagePreprocessing preprocessing, string? split)
    {
        var settings = new PreprocessSettings(preprocessing.Size, preprocessing.Channels switch
        {
            1 => ChannelMode.Gray,
            3 => ChannelMode.Rgb,
            _ => ChannelMode.Auto,
        }).Validated();
        if (spec.Name == DatasetName.Omniglot)
        {
            if (split is not null and not "official")
                throw new ArgumentException($"Omniglot uses its official split (the evaluation alphabets test), not '{split}'");
            var part = loader.Parts(spec, out string path).FirstOrDefault(p => p.Name == "evaluation")
                       ?? throw new DatasetFormatException(path, "the Omniglot evaluation set (images_evaluation.zip) is missing");
            return loader.Load(spec, part, settings).Data;
        }
        return loader.LoadFewShot(spec, settings, new SplitOptions(split)).Test;
    }

    /// <summary>The model's settings, the first CSV columns.</summary>
    private static List<KeyValuePair<string, string>> ModelColumns(string path, Embedder embedder, string data)
    {
        string Meta(string key) => embedder.Metadata.TryGetValue(key, out var v) ? v : "";
        var c = embedder.Config;
        return
        [
            new("model", Path.GetFileName(path)),
            new("model_sha256", embedder.Checksum[..12]),
            new("layers", c.Blocks.ToString(CultureInfo.InvariantCulture)),
            new("filters", c.Filters.ToString(CultureInfo.InvariantCulture)),
            new("embedding_dim", embedder.Dim.ToString(CultureInfo.InvariantCulture)),
            new("dropout", c.Dropout.ToString("R", CultureInfo.InvariantCulture)),
            new("train_loss", Meta("lshk.train.loss")),
            new("train_ways", Meta("lshk.train.ways")),
            new("train_shots", Meta("lshk.train.shots")),
            new("train_episodes", Meta("lshk.train.episodes")),
            new("data", data),
        ];
    }

    private static T[] ParseList<T>(string text, Func<string, T> parse)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Select(parse).Distinct().ToArray();
    }

    private static bool ParseOnOff(string text, string option) => text.Trim().ToLowerInvariant() switch
    {
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        _ => throw new ArgumentException($"{option} must be on or off, not '{text}'"),
    };
}
