using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Lshk.Data.Episodes;

/// <summary>A saved list of episodes with what they were drawn from: replaying it gives every model the same episodes.</summary>
public sealed record EpisodeList(EpisodeSpec Spec, ulong Seed, string Dataset, string Fingerprint, int Images, int Classes, IReadOnlyList<Episode> Episodes);

/// <summary>
/// Saves and replays episode lists as JSON (written atomically):
/// <code>
/// {"format": "lshk-episodes", "version": 1, "dataset": "...", "fingerprint": "sha256 of labels and class names",
///  "images": 13180, "classes": 659, "ways": 5, "shots": 1, "queries": 15, "mode": "unstructured", "seed": 1,
///  "episodes": [
///   {"classes": [..], "support": [..], "query": [..]},
///   ...]}
/// </code>
/// Indices refer to the dataset's images in its load order. Loading checks the file against the dataset it is
/// replayed on (same fingerprint) and checks every episode (shape, ranges, distinct classes, image labels).
/// </summary>
public static class EpisodeFile
{
    public const string Format = "lshk-episodes";
    public const int Version = 1;

    /// <summary>A checksum of a dataset's image count, labels and class names: what episode indices depend on.</summary>
    public static string Fingerprint(Dataset data)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(BitConverter.GetBytes(data.Count));
        hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Labels.AsSpan()));
        foreach (string name in data.ClassNames) hash.AppendData(Encoding.UTF8.GetBytes(name + "\0"));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public static void Save(string path, Dataset data, EpisodeSpec spec, ulong seed, IReadOnlyList<Episode> episodes)
    {
        var text = new StringBuilder();
        text.Append("{\"format\": \"").Append(Format).Append("\", \"version\": ").Append(Version)
            .Append(", \"dataset\": ").Append(JsonSerializer.Serialize(data.Source))
            .Append(", \"fingerprint\": \"").Append(Fingerprint(data)).Append('"')
            .Append(", \"images\": ").Append(data.Count).Append(", \"classes\": ").Append(data.ClassCount)
            .Append(",\n \"ways\": ").Append(spec.Ways).Append(", \"shots\": ").Append(spec.Shots)
            .Append(", \"queries\": ").Append(spec.Queries).Append(", \"mode\": \"").Append(EpisodeSpec.ModeName(spec.Mode))
            .Append("\", \"seed\": ").Append(seed.ToString(CultureInfo.InvariantCulture)).Append(",\n \"episodes\": [");
        for (int e = 0; e < episodes.Count; e++)
        {
            var ep = episodes[e];
            text.Append(e == 0 ? "\n  " : ",\n  ")
                .Append("{\"classes\": [").AppendJoin(", ", ep.Classes)
                .Append("], \"support\": [").AppendJoin(", ", ep.Support)
                .Append("], \"query\": [").AppendJoin(", ", ep.Query).Append("]}");
        }
        text.Append("]}\n");
        AtomicFile.WriteAllText(path, text.ToString());
    }

    /// <summary>Reads an episode list; with <paramref name="data"/>, also checks that it was drawn from that dataset.</summary>
    public static EpisodeList Load(string path, Dataset? data = null)
    {
        if (!File.Exists(path)) throw new DatasetFormatException(path, "file not found");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 8 }); }
        catch (JsonException e) { throw new DatasetFormatException(path, $"not valid JSON ({e.Message})", e); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new DatasetFormatException(path, $"cannot read ({e.Message})", e); }
        using (doc)
        {
            try { return Parse(doc.RootElement, path, data); }
            catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException or ArgumentException)
            {
                throw new DatasetFormatException(path, $"not an episode list ({e.Message})", e);
            }
        }
    }

    private static EpisodeList Parse(JsonElement root, string path, Dataset? data)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var f) || f.GetString() != Format)
            throw new DatasetFormatException(path, $"not an episode list (no \"format\": \"{Format}\")");
        if (root.GetProperty("version").GetInt32() != Version)
            throw new DatasetFormatException(path, $"episode list version {root.GetProperty("version")} is not supported (expected {Version})");
        var spec = new EpisodeSpec(root.GetProperty("ways").GetInt32(), root.GetProperty("shots").GetInt32(),
            root.GetProperty("queries").GetInt32(), EpisodeSpec.ParseMode(root.GetProperty("mode").GetString() ?? ""));
        if (spec.Ways < 1 || spec.Shots < 1 || spec.Queries < 0) throw new DatasetFormatException(path, $"invalid episode shape {spec}");
        ulong seed = root.GetProperty("seed").GetUInt64();
        string dataset = root.GetProperty("dataset").GetString() ?? "";
        string fingerprint = root.GetProperty("fingerprint").GetString() ?? "";
        int images = root.GetProperty("images").GetInt32(), classes = root.GetProperty("classes").GetInt32();
        if (data is not null && fingerprint != Fingerprint(data))
            throw new DatasetFormatException(path, $"these episodes were drawn from another dataset ({dataset}: {images} images, {classes} classes), not {data.Source} ({data.Count} images, {data.ClassCount} classes)");
        var episodes = new List<Episode>();
        int index = 0;
        foreach (var e in root.GetProperty("episodes").EnumerateArray())
        {
            var episode = new Episode(Ints(e.GetProperty("classes")), Ints(e.GetProperty("support")), Ints(e.GetProperty("query")));
            Check(episode, spec, images, classes, data, path, index++);
            episodes.Add(episode);
        }
        return new EpisodeList(spec, seed, dataset, fingerprint, images, classes, episodes);
    }

    private static int[] Ints(JsonElement array) => array.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    private static void Check(Episode e, EpisodeSpec spec, int images, int classes, Dataset? data, string path, int index)
    {
        string where = $"episode {index}";
        if (e.Classes.Length != spec.Ways || e.Support.Length != spec.Ways * spec.Shots || e.Query.Length != spec.Ways * spec.Queries)
            throw new DatasetFormatException(path, $"{where} does not have the shape {spec}");
        if (e.Classes.Any(c => (uint)c >= (uint)classes) || e.Classes.Distinct().Count() != e.Classes.Length)
            throw new DatasetFormatException(path, $"{where}: classes must be distinct and below {classes}");
        var all = e.Support.Concat(e.Query).ToArray();
        if (all.Any(i => (uint)i >= (uint)images) || all.Distinct().Count() != all.Length)
            throw new DatasetFormatException(path, $"{where}: image indices must be distinct and below {images}");
        if (data is null) return;
        for (int j = 0; j < e.Support.Length; j++)
            if (data.Labels[e.Support[j]] != e.Classes[e.SupportLabel(j)])
                throw new DatasetFormatException(path, $"{where}: support image {e.Support[j]} is not of class {e.Classes[e.SupportLabel(j)]}");
        for (int j = 0; j < e.Query.Length; j++)
            if (data.Labels[e.Query[j]] != e.Classes[e.QueryLabel(j)])
                throw new DatasetFormatException(path, $"{where}: query image {e.Query[j]} is not of class {e.Classes[e.QueryLabel(j)]}");
    }
}
