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
/// CSV and JSON forms of an evaluation. The CSV has one row per (ways, shots, hash family, planes, method) with the
/// original study's columns (model settings, testing classes, testing supports, testing planes, accuracy) and then
/// mean, ci95 (fractions), episodes, bytes per stored support and the times. Files are written atomically.
/// </summary>
public static class EvaluationFiles
{
    /// <summary>The CSV columns before the per-row ones: the model's settings, given by the caller (name → value).</summary>
    public static string Csv(EvaluationResult result, IReadOnlyList<KeyValuePair<string, string>> model)
    {
        var sb = new StringBuilder();
        var header = model.Select(kv => kv.Key).Concat([
            "testing_classes", "testing_supports", "testing_queries", "testing_planes", "hash", "method", "center",
            "episode_mode", "seed", "accuracy", "mean", "ci95", "episodes", "bytes_per_support",
            "hash_ms_per_episode", "match_ms_per_episode",
        ]);
        sb.AppendLine(string.Join(",", header.Select(Quote)));
        var g = result.Grid;
        foreach (var r in result.Rows)
        {
            var cells = model.Select(kv => kv.Value).Concat([
                Int(r.Ways), Int(r.Shots), Int(g.Queries), Int(r.Planes), r.Hash, r.Method, r.Center,
                EpisodeSpec.ModeName(g.Mode), g.Seed.ToString(CultureInfo.InvariantCulture),
                (100 * r.Mean).ToString("F2", CultureInfo.InvariantCulture), Float(r.Mean), Float(r.Ci95), Int(r.Episodes),
                Int(r.BytesPerSupport), r.HashMs.ToString("F4", CultureInfo.InvariantCulture),
                r.MatchMs.ToString("F4", CultureInfo.InvariantCulture),
            ]);
            sb.AppendLine(string.Join(",", cells.Select(Quote)));
        }
        return sb.ToString();
    }

    public static void WriteCsv(string path, EvaluationResult result, IReadOnlyList<KeyValuePair<string, string>> model) =>
        AtomicFile.WriteAllText(path, Csv(result, model));

    public static void WriteJson(string path, EvaluationResult result, IReadOnlyList<KeyValuePair<string, string>> model)
    {
        var g = result.Grid;
        var doc = new
        {
            model = model.ToDictionary(kv => kv.Key, kv => kv.Value),
            device = result.Device,
            dim = result.Dim,
            grid = new
            {
                ways = g.Ways, shots = g.Shots, planes = g.Planes, hash = g.Families.Select(f => f.Name),
                episodes = g.Episodes, queries = g.Queries, mode = EpisodeSpec.ModeName(g.Mode), center = g.Center,
                seed = g.Seed, sharpness = g.Sharpness, methods = g.Methods.Select(m => m.Name()),
            },
            seconds = result.Seconds,
            rows = result.Rows,
        };
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(doc, JsonOptions.Indented));
    }

    private static string Int(int v) => v.ToString(CultureInfo.InvariantCulture);
    private static string Float(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string Quote(string cell) =>
        cell.IndexOfAny([',', '"', '\n', '\r']) < 0 ? cell : "\"" + cell.Replace("\"", "\"\"") + "\"";

    /// <summary>The model's settings, the first CSV columns.</summary>
    public static List<KeyValuePair<string, string>> ModelColumns(string path, Embedder embedder, string data)
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
        ];
    }
}
