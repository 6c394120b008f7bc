using System.Globalization;
using Lshk.Kernels.Nn;
using Lshk.Nn.Layers;

namespace Lshk.Nn.ModelFiles;

/// <summary>
/// Saves and loads an embedding network as a <c>.safetensors</c> file whose tensor names, shapes and types are those of
/// PyTorch's <c>nn.Sequential</c> state_dict ("0.weight", "1.running_mean", "1.num_batches_tracked" as int64, …), so
/// <c>load_state_dict</c> takes it unchanged. The architecture goes into the header's <c>__metadata__</c> as
/// "lshk.*" strings, next to any further settings the caller adds (normalisation, training configuration, dataset).
///
/// Writing goes to a <see cref="Stream"/>: lshk.Nn does not depend on lshk.Data, so callers that write files wrap
/// this in <c>Lshk.Data.AtomicFile.Write</c> (temporary name, then rename).
/// </summary>
public static class ModelFile
{
    public const string FormatVersion = "1";

    /// <summary>The network's tensors in PyTorch state_dict order.</summary>
    public static IReadOnlyList<SafeTensor> StateDict(Sequential network)
    {
        var tensors = new List<SafeTensor>();
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var layer = network.Layers[i];
            foreach (var p in layer.Parameters)
                tensors.Add(SafeTensor.FromFloats($"{i}.{p.Name}", Long(p.Shape), p.Value.ToArray()));
            foreach (var s in layer.State)
                tensors.Add(SafeTensor.FromFloats($"{i}.{s.Name}", Long(s.Shape), s.Buffer.ToArray()));
            if (layer is BatchNorm2d bn)
                tensors.Add(SafeTensor.FromInt64($"{i}.num_batches_tracked", [], [bn.NumBatchesTracked]));
        }
        return tensors;
    }

    private static long[] Long(int[] shape) => shape.Select(d => (long)d).ToArray();

    /// <summary>Writes the network (and hash <paramref name="planes"/> trained with it, when given) with its metadata.</summary>
    public static void Save(Stream stream, Sequential network, ConvNetConfig config, IReadOnlyDictionary<string, string>? extra = null,
        StoredPlanes? planes = null)
    {
        var metadata = new Dictionary<string, string>(Metadata(config));
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            if (!metadata.TryAdd(key, value))
                throw new ArgumentException($"metadata key '{key}' is set by lshk itself");
        if (planes is not null && planes.Dim != config.EmbeddingDim)
            throw new ArgumentException($"planes of dimension {planes.Dim} for a model of {config.EmbeddingDim}-dimensional embeddings");
        SafeTensors.Write(stream, [.. StateDict(network), .. planes?.Tensors() ?? []], metadata);
    }

    /// <summary>Metadata key of a network without batch norm ("false"); absent (files before it, and the default) means on.</summary>
    public const string BatchNormKey = "lshk.batch_norm";
    /// <summary>Metadata key of the dropout placement ("embedding"); absent (files before it, and the default) means after each block.</summary>
    public const string DropoutAtKey = "lshk.dropout_at";
    private const string EmbeddingPlacement = "embedding";
    /// <summary>Metadata key of a network whose last block has no max-pool ("false"); absent (files before it, and the default) means it pools.</summary>
    public const string FinalPoolKey = "lshk.final_pool";
    /// <summary>Metadata key of a network whose last map is averaged over its positions ("true"); absent (files before it, and the default) means it is not.</summary>
    public const string GlobalAverageKey = "lshk.global_average";

    /// <summary>
    /// The architecture as metadata strings (plus "format": "pt", the safetensors convention for PyTorch). The keys of
    /// the study's variants are written only when they differ from the default, so default models stay byte-identical
    /// to those of earlier versions.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Metadata(ConvNetConfig c)
    {
        var m = BaseMetadata(c);
        if (!c.BatchNorm) m[BatchNormKey] = "false";
        if (c.DropoutAt == DropoutPlacement.Embedding) m[DropoutAtKey] = EmbeddingPlacement;
        if (!c.FinalPool) m[FinalPoolKey] = "false";
        if (c.GlobalAverage) m[GlobalAverageKey] = "true";
        return m;
    }

    private static Dictionary<string, string> BaseMetadata(ConvNetConfig c) => new()
    {
        ["format"] = "pt",
        ["lshk.format_version"] = FormatVersion,
        ["lshk.architecture"] = "convnet",
        ["lshk.description"] = c.Describe(),
        ["lshk.blocks"] = Text(c.Blocks),
        ["lshk.filters"] = Text(c.Filters),
        ["lshk.kernel"] = Text(c.Kernel),
        ["lshk.conv_bias"] = c.ConvBias ? "true" : "false",
        ["lshk.dropout"] = c.Dropout.ToString("R", CultureInfo.InvariantCulture),
        ["lshk.input_channels"] = Text(c.InputChannels),
        ["lshk.input_size"] = Text(c.InputSize),
        ["lshk.embedding_dim"] = Text(c.EmbeddingDim),
    };

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Reads the architecture back from metadata; missing or malformed entries are one-line errors.</summary>
    public static ConvNetConfig ConfigFrom(IReadOnlyDictionary<string, string> metadata, string source)
    {
        string Get(string key) => metadata.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{source}: metadata lacks '{key}' (not an lshk model file?)");
        int Int(string key) => int.TryParse(Get(key), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v
            : throw new InvalidDataException($"{source}: metadata '{key}' = '{Get(key)}' is not a non-negative integer");
        if (Get("lshk.architecture") != "convnet") throw new InvalidDataException($"{source}: unknown architecture '{Get("lshk.architecture")}'");
        if (Get("lshk.format_version") != FormatVersion)
            throw new InvalidDataException($"{source}: model format version {Get("lshk.format_version")} is not supported (expected {FormatVersion})");
        bool bias = Get("lshk.conv_bias") switch
        {
            "true" => true,
            "false" => false,
            var v => throw new InvalidDataException($"{source}: metadata 'lshk.conv_bias' = '{v}' is not true or false"),
        };
        if (!float.TryParse(Get("lshk.dropout"), NumberStyles.Float, CultureInfo.InvariantCulture, out float dropout))
            throw new InvalidDataException($"{source}: metadata 'lshk.dropout' = '{Get("lshk.dropout")}' is not a number");
        bool Flag(string key, bool absent = true) => !metadata.TryGetValue(key, out var v) ? absent : v switch
        {
            "true" => true,
            "false" => false,
            _ => throw new InvalidDataException($"{source}: metadata '{key}' = '{v}' is not true or false"),
        };
        bool batchNorm = Flag(BatchNormKey), finalPool = Flag(FinalPoolKey), globalAverage = Flag(GlobalAverageKey, absent: false);
        var placement = metadata.TryGetValue(DropoutAtKey, out var at) ? at switch
        {
            "blocks" => DropoutPlacement.Blocks,
            EmbeddingPlacement => DropoutPlacement.Embedding,
            _ => throw new InvalidDataException($"{source}: metadata '{DropoutAtKey}' = '{at}' is not blocks or embedding"),
        } : DropoutPlacement.Blocks;
        var config = new ConvNetConfig(Int("lshk.blocks"), Int("lshk.filters"), dropout, Int("lshk.input_channels"),
            Int("lshk.input_size"), Int("lshk.kernel"), bias, batchNorm, placement, finalPool, globalAverage);
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: metadata describes an impossible network ({e.Message})");
        }
        return config;
    }

    /// <summary>Reads a model file: its network (with the saved parameters and statistics), architecture and metadata.</summary>
    public static (Sequential Network, ConvNetConfig Config, IReadOnlyDictionary<string, string> Metadata) Load(string path,
        INnOps ops, bool fuse = true)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            throw new FileNotFoundException($"{path}: file not found");
        }
        return Load(bytes, path, ops, fuse);
    }

    public static (Sequential Network, ConvNetConfig Config, IReadOnlyDictionary<string, string> Metadata) Load(ReadOnlySpan<byte> bytes,
        string source, INnOps ops, bool fuse = true) => Load(bytes, source, ops, out _, fuse);

    /// <summary>As <see cref="Load(ReadOnlySpan{byte}, string, INnOps, bool)"/>, also giving the hash planes stored with the network (null when none).</summary>
    public static (Sequential Network, ConvNetConfig Config, IReadOnlyDictionary<string, string> Metadata) Load(ReadOnlySpan<byte> bytes,
        string source, INnOps ops, out StoredPlanes? planes, bool fuse = true) => Load(bytes, source, ops, out planes, out _, fuse);

    /// <summary>As <see cref="Load(ReadOnlySpan{byte}, string, INnOps, out StoredPlanes?, bool)"/>, also giving a stored product-quantiser codebook (null when none).</summary>
    public static (Sequential Network, ConvNetConfig Config, IReadOnlyDictionary<string, string> Metadata) Load(ReadOnlySpan<byte> bytes,
        string source, INnOps ops, out StoredPlanes? planes, out StoredCodebook? codebook, bool fuse = true)
    {
        var (tensors, metadata) = SafeTensors.Read(bytes, source);
        var config = ConfigFrom(metadata, source);
        planes = StoredPlanes.From(tensors, config.EmbeddingDim, source);
        codebook = StoredCodebook.From(tensors, config.EmbeddingDim, source);
        var network = ConvNet.Create(ops, config, seed: 0, fuse);
        try
        {
            LoadStateDict(network, tensors.Where(t => !IsStoredBesideTheNetwork(t.Name)).ToArray(), source);
        }
        catch
        {
            network.Dispose();
            throw;
        }
        return (network, config, metadata);
    }

    /// <summary>
    /// Copies tensors into the network after checking that the names are exactly the network's state_dict names and
    /// that every shape and dtype matches.
    /// </summary>
    public static void LoadStateDict(Sequential network, IReadOnlyList<SafeTensor> tensors, string source)
    {
        var expected = StateDict(network).ToDictionary(t => t.Name);
        var given = new Dictionary<string, SafeTensor>();
        foreach (var t in tensors)
        {
            if (!expected.TryGetValue(t.Name, out var e))
                throw new InvalidDataException($"{source}: unexpected tensor '{t.Name}' (the network has no such parameter)");
            if (t.Type != e.Type) throw new InvalidDataException($"{source}: tensor '{t.Name}' is {t.Type}, expected {e.Type}");
            if (!t.Shape.SequenceEqual(e.Shape))
                throw new InvalidDataException($"{source}: tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", e.Shape)}]");
            given[t.Name] = t;
        }
        foreach (var name in expected.Keys)
            if (!given.ContainsKey(name)) throw new InvalidDataException($"{source}: tensor '{name}' is missing");

        for (int i = 0; i < network.Layers.Count; i++)
        {
            var layer = network.Layers[i];
            foreach (var p in layer.Parameters) p.Value.CopyFrom(given[$"{i}.{p.Name}"].ToFloats());
            foreach (var s in layer.State) s.Buffer.CopyFrom(given[$"{i}.{s.Name}"].ToFloats());
            if (layer is BatchNorm2d bn) bn.NumBatchesTracked = given[$"{i}.num_batches_tracked"].ToInt64()[0];
        }
    }

    /// <summary>
    /// Writes a copy of a model file with hash planes: the network's tensors and the metadata as they are (planes
    /// already there are replaced), the planes' tensors, and <paramref name="metadata"/> added (replacing equal keys).
    /// </summary>
    /// <summary>Tensors a model file keeps beside the network's state_dict: hash planes and a codebook.</summary>
    public static bool IsStoredBesideTheNetwork(string name) => StoredPlanes.IsPlaneTensor(name) || StoredCodebook.IsCodebookTensor(name);

    /// <summary>
    /// Writes <paramref name="model"/> again with <paramref name="codebook"/> (replacing any stored codebook) and
    /// <paramref name="metadata"/> merged into its metadata; the network, its metadata and any planes are unchanged.
    /// </summary>
    public static void WithCodebook(ReadOnlySpan<byte> model, string source, StoredCodebook codebook,
        IReadOnlyDictionary<string, string> metadata, Stream output)
    {
        var (tensors, existing) = SafeTensors.Read(model, source);
        int dim = ConfigFrom(existing, source).EmbeddingDim;
        if (codebook.Dim != dim) throw new ArgumentException($"a codebook of dimension {codebook.Dim} for a model of {dim}-dimensional embeddings");
        var merged = new Dictionary<string, string>(existing);
        foreach (var (key, value) in metadata) merged[key] = value;
        SafeTensors.Write(output, [.. tensors.Where(t => !StoredCodebook.IsCodebookTensor(t.Name)), .. codebook.Tensors()], merged);
    }

    public static void WithPlanes(ReadOnlySpan<byte> model, string source, StoredPlanes planes,
        IReadOnlyDictionary<string, string> metadata, Stream output)
    {
        var (tensors, existing) = SafeTensors.Read(model, source);
        int dim = ConfigFrom(existing, source).EmbeddingDim;
        if (planes.Dim != dim) throw new ArgumentException($"planes of dimension {planes.Dim} for a model of {dim}-dimensional embeddings");
        var merged = new Dictionary<string, string>(existing);
        foreach (var (key, value) in metadata) merged[key] = value;
        SafeTensors.Write(output, [.. tensors.Where(t => !StoredPlanes.IsPlaneTensor(t.Name)), .. planes.Tensors()], merged);
    }
}
