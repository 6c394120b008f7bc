using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Lshk.Data.Episodes;

/// <summary>A saved list of episodes with what they were drawn from: replaying it gives every model the same episodes.</summary>
public sealed record EpisodeList(EpisodeSpec Spec, ulong Seed, string Dataset, string Fingerprint, int Images, int Classes, IReadOnlyList<Episode> Episodes);

/// <summary>
/// Saves and replays episode lists as JSON (written atomically):
/// <code>
/// {"format": "lshk-episodes", "version": 2, "dataset": "...", "fingerprint": "sha256 of the prepared images, labels and class names",
///  "images": 13180, "classes": 659, "image_shape": [1, 28, 28], "ways": 5, "shots": 1, "queries": 15,
///  "query_draw": "per-class", "mode": "unstructured", "seed": 1,
///  "episodes": [
///   {"classes": [..], "support": [..], "query": [..]},      ("query_labels": [..] too when query_draw is per-episode)
///   ...]}
/// </code>
/// Indices refer to the dataset's images in its load order. Loading checks the file against the dataset it is
/// replayed on: the same image shape (the size and channels the images were prepared at), the same image count,
/// class count and fingerprint (so other images, even with the same labels, are refused), and every episode
/// (shape, ranges, distinct classes, image labels). Version 1 files, whose fingerprint covered only the labels and
/// class names, are refused: nothing could show they were drawn from the same images.
/// </summary>
public static class EpisodeFile
{
    public const string Format = "lshk-episodes";
    public const int Version = 2;

    /// <summary>The version whose fingerprint covered labels and class names only.</summary>
    private const int LabelsOnlyVersion = 1;

    /// <summary>
    /// A checksum of what episodes and their images depend on: the image count and shape (C×H×W, which the size and
    /// channel settings decide), the labels, the class names and every prepared pixel (float32 bytes, in load order).
    /// Normalisation is not in it: it belongs to a model and is applied when embedding.
    /// </summary>
    public static string Fingerprint(Dataset data)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (int v in new[] { data.Count, data.Channels, data.Height, data.Width }) hash.AppendData(BitConverter.GetBytes(v));
        hash.AppendData(MemoryMarshal.AsBytes(data.Labels.AsSpan()));
        foreach (string name in data.ClassNames) hash.AppendData(Encoding.UTF8.GetBytes(name + "\0"));
        hash.AppendData(MemoryMarshal.AsBytes(data.Images.AsSpan()));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public static void Save(string path, Dataset data, EpisodeSpec spec, ulong seed, IReadOnlyList<Episode> episodes)
    {
        var text = new StringBuilder();
        text.Append("{\"format\": \"").Append(Format).Append("\", \"version\": ").Append(Version)
            .Append(", \"dataset\": ").Append(JsonSerializer.Serialize(data.Source))
            .Append(", \"fingerprint\": \"").Append(Fingerprint(data)).Append('"')
            .Append(",\n \"images\": ").Append(data.Count).Append(", \"classes\": ").Append(data.ClassCount)
            .Append(", \"image_shape\": [").AppendJoin(", ", Shape(data)).Append(']')
            .Append(",\n \"ways\": ").Append(spec.Ways).Append(", \"shots\": ").Append(spec.Shots)
            .Append(", \"queries\": ").Append(spec.Queries).Append(", \"query_draw\": \"").Append(spec.QueryDrawName)
            .Append("\", \"mode\": \"").Append(EpisodeSpec.ModeName(spec.Mode))
            .Append("\", \"seed\": ").Append(seed.ToString(CultureInfo.InvariantCulture)).Append(",\n \"episodes\": [");
        for (int e = 0; e < episodes.Count; e++)
        {
            var ep = episodes[e];
            text.Append(e == 0 ? "\n  " : ",\n  ")
                .Append("{\"classes\": [").AppendJoin(", ", ep.Classes)
                .Append("], \"support\": [").AppendJoin(", ", ep.Support)
                .Append("], \"query\": [").AppendJoin(", ", ep.Query).Append(']');
            if (spec.QueriesPerEpisode)
                text.Append(", \"query_labels\": [").AppendJoin(", ", Enumerable.Range(0, ep.Query.Length).Select(ep.QueryLabel)).Append(']');
            text.Append('}');
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

    private static int[] Shape(Dataset data) => [data.Channels, data.Height, data.Width];

    private static EpisodeList Parse(JsonElement root, string path, Dataset? data)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var f) || f.GetString() != Format)
            throw new DatasetFormatException(path, $"not an episode list (no \"format\": \"{Format}\")");
        int version = root.GetProperty("version").GetInt32();
        if (version == LabelsOnlyVersion)
            throw new DatasetFormatException(path, $"an episode list of version {LabelsOnlyVersion}, whose fingerprint covers the labels only and cannot show the images are the same; draw the episodes again to get version {Version}");
        if (version != Version)
            throw new DatasetFormatException(path, $"episode list version {version} is not supported (expected {Version})");
        var spec = new EpisodeSpec(root.GetProperty("ways").GetInt32(), root.GetProperty("shots").GetInt32(),
            root.GetProperty("queries").GetInt32(), EpisodeSpec.ParseMode(root.GetProperty("mode").GetString() ?? ""),
            EpisodeSpec.ParseQueryDraw(root.GetProperty("query_draw").GetString() ?? ""));
        if (spec.Ways < 1 || spec.Shots < 1 || spec.Queries < 0) throw new DatasetFormatException(path, $"invalid episode shape {spec}");
        ulong seed = root.GetProperty("seed").GetUInt64();
        string dataset = root.GetProperty("dataset").GetString() ?? "";
        string fingerprint = root.GetProperty("fingerprint").GetString() ?? "";
        int images = root.GetProperty("images").GetInt32(), classes = root.GetProperty("classes").GetInt32();
        int[] shape = Ints(root.GetProperty("image_shape"));
        if (data is not null) CheckDataset(path, data, dataset, fingerprint, images, classes, shape);
        var episodes = new List<Episode>();
        int index = 0;
        foreach (var e in root.GetProperty("episodes").EnumerateArray())
        {
            int[]? labels = spec.QueriesPerEpisode ? Ints(e.GetProperty("query_labels")) : null;
            var episode = new Episode(Ints(e.GetProperty("classes")), Ints(e.GetProperty("support")), Ints(e.GetProperty("query")), labels);
            Check(episode, spec, images, classes, data, path, index++);
            episodes.Add(episode);
        }
        if (episodes.Count == 0) throw new DatasetFormatException(path, "the list has no episodes");
        return new EpisodeList(spec, seed, dataset, fingerprint, images, classes, episodes);
    }

    /// <summary>The file was drawn from <paramref name="data"/>: same preparation, same images, same labels.</summary>
    private static void CheckDataset(string path, Dataset data, string dataset, string fingerprint, int images, int classes, int[] shape)
    {
        static string Dims(IEnumerable<int> s) => string.Join("×", s);
        if (!shape.SequenceEqual(Shape(data)))
            throw new DatasetFormatException(path, $"these episodes were drawn from images prepared at {Dims(shape)}, but {data.Source} is prepared at {Dims(Shape(data))} here (other preprocessing)");
        if (images != data.Count || classes != data.ClassCount)
            throw new DatasetFormatException(path, $"these episodes were drawn from another dataset ({dataset}: {images} images, {classes} classes), not {data.Source} ({data.Count} images, {data.ClassCount} classes)");
        if (fingerprint != Fingerprint(data))
            throw new DatasetFormatException(path, $"these episodes were drawn from other images or labels than those of {data.Source} (the content fingerprint differs)");
    }

    private static int[] Ints(JsonElement array) => array.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    private static void Check(Episode e, EpisodeSpec spec, int images, int classes, Dataset? data, string path, int index)
    {
        string where = $"episode {index}";
        if (e.Classes.Length != spec.Ways || e.Support.Length != spec.Ways * spec.Shots || e.Query.Length != spec.QueryCount)
            throw new DatasetFormatException(path, $"{where} does not have the shape {spec}");
        if (e.QueryLabels is { } labels && (labels.Length != e.Query.Length || labels.Any(l => (uint)l >= (uint)spec.Ways)))
            throw new DatasetFormatException(path, $"{where}: query_labels must give one label below {spec.Ways} per query");
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
