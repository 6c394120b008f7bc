using Lshk.App.Modeling;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Lshk.Data;
using Lshk.Data.Episodes;

using Lshk.App.Evaluation;
using Lshk.Lsh;

namespace Lshk.Cli.Evaluation;

/// <summary>
/// CSV and JSON forms of an evaluation. The CSV has one row per (model, ways, shots, hash family, planes, method,
/// protocol) with the original study's columns (model settings, testing classes, testing supports, testing planes,
/// accuracy) and then mean, ci95 (fractions), episodes, bytes per stored support, the protocol (fresh-episodes,
/// episodes-file or fixed-support), queries per episode, the interval's ends, the integer range and sigmoid k, and
/// last the times. Files are written atomically.
/// </summary>
public static class EvaluationFiles
{
    /// <summary>One model's evaluation with the model's settings, the first CSV columns (name → value).</summary>
    public sealed record ModelRun(EvaluationResult Result, IReadOnlyList<KeyValuePair<string, string>> Model);

    /// <summary>The CSV of one model's evaluation.</summary>
    public static string Csv(EvaluationResult result, IReadOnlyList<KeyValuePair<string, string>> model) => Csv([new ModelRun(result, model)]);

    /// <summary>The CSV of several models' evaluations: one header (the first model's column names), their rows in order.</summary>
    public static string Csv(IReadOnlyList<ModelRun> runs)
    {
        var sb = new StringBuilder();
        var header = runs[0].Model.Select(kv => kv.Key).Concat([
            "testing_classes", "testing_supports", "testing_queries", "testing_planes", "hash", "method", "center",
            "episode_mode", "seed", "accuracy", "mean", "ci95", "episodes", "bytes_per_support", "protocol",
            "queries_per_episode", "ci95_low", "ci95_high", "integer_range", "sigmoid_k",
            "hash_ms_per_episode", "match_ms_per_episode",
        ]);
        sb.AppendLine(string.Join(",", header.Select(Quote)));
        foreach (var (result, model) in runs)
        {
            var g = result.Grid;
            foreach (var r in result.Rows)
            {
                var cells = model.Select(kv => kv.Value).Concat([
                    Int(r.Ways), Int(r.Shots), Int(g.Queries), Int(r.Planes), r.Hash, r.Method, r.Center,
                    EpisodeSpec.ModeName(g.Mode), g.Seed.ToString(CultureInfo.InvariantCulture),
                    (100 * r.Mean).ToString("F2", CultureInfo.InvariantCulture), Float(r.Mean), Float(r.Ci95), Int(r.Episodes),
                    Int(r.BytesPerSupport), r.Protocol, Int(r.Queries), Float(r.Low), Float(r.High), Int(g.IntegerRange),
                    Float(g.Sharpness), r.HashMs.ToString("F4", CultureInfo.InvariantCulture),
                    r.MatchMs.ToString("F4", CultureInfo.InvariantCulture),
                ]);
                sb.AppendLine(string.Join(",", cells.Select(Quote)));
            }
        }
        return sb.ToString();
    }

    public static void WriteCsv(string path, IReadOnlyList<ModelRun> runs) => AtomicFile.WriteAllText(path, Csv(runs));

    /// <summary>One model: the document of <see cref="Document"/>; several: <c>{"models": [document, …]}</c>.</summary>
    public static void WriteJson(string path, IReadOnlyList<ModelRun> runs)
    {
        object doc = runs.Count == 1 ? Document(runs[0]) : new { models = runs.Select(Document).ToArray() };
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(doc, JsonOptions.Indented));
    }

    private static object Document(ModelRun run)
    {
        var (result, model) = run;
        var g = result.Grid;
        return new
        {
            model = model.ToDictionary(kv => kv.Key, kv => kv.Value),
            device = result.Device,
            dim = result.Dim,
            grid = new
            {
                ways = g.Ways, shots = g.Shots, planes = g.Planes, hash = g.Families.Select(f => f.Name),
                episodes = g.Episodes, queries = g.Queries, query_draw = g.Spec(g.Ways[0], g.Shots[0]).QueryDrawName,
                mode = EpisodeSpec.ModeName(g.Mode), center = g.Center, seed = g.Seed, sharpness = g.Sharpness,
                integer_range = g.IntegerRange, fixed_support = g.FixedSupport, methods = g.Methods.Select(m => m.Name()),
            },
            seconds = result.Seconds,
            rows = result.Rows,
        };
    }

    private static string Int(int v) => v.ToString(CultureInfo.InvariantCulture);
    private static string Float(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string Quote(string cell) =>
        cell.IndexOfAny([',', '"', '\n', '\r']) < 0 ? cell : "\"" + cell.Replace("\"", "\"\"") + "\"";

    /// <summary>The split column's value when the dataset's own default split was used.</summary>
    public const string DefaultSplitName = "default";

    /// <summary>
    /// The model's settings and the data it was tested on (split: null for the dataset's default; the test classes, or
    /// the ones the model held out for validation), the first CSV columns.
    /// </summary>
    public static List<KeyValuePair<string, string>> ModelColumns(string path, Embedder embedder, string data, string? split, bool onValidation)
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
            new("train_loss", Meta(MetadataKeys.Train.Loss)),
            new("train_ways", Meta(MetadataKeys.Train.Ways)),
            new("train_shots", Meta(MetadataKeys.Train.Shots)),
            new("train_episodes", Meta(MetadataKeys.Train.Episodes)),
            new("data", data),
            new("split", split ?? DefaultSplitName),
            new("classes", onValidation ? Commands.EvalOptions.ValidationClasses : Commands.EvalOptions.TestClasses),
            new("views", (embedder.Views?.Count ?? 1).ToString(CultureInfo.InvariantCulture)),
            new("view_distortion", embedder.Views?.Distortion.Describe() ?? ""),
        ];
    }
}
