using System.Globalization;

namespace Lshk.Data.Imaging;

/// <summary>
/// How images were prepared for a model in training, stored in the model file's metadata so that embedding new
/// image files (embed, enroll, classify) prepares them the same way.
/// Keys: lshk.preprocess.size, lshk.preprocess.channels, lshk.preprocess.invert ("true" when the source images
/// are dark strokes on a light background and were inverted so ink = 1, as for Omniglot), and optionally
/// lshk.preprocess.mean / lshk.preprocess.std (per channel, comma-separated: x ← (x − mean) / std).
/// </summary>
public sealed record ImagePreprocessing(int Size, int Channels, bool Invert, float[]? Mean = null, float[]? Std = null)
{
    private const string SizeKey = MetadataKeys.Preprocess.Size;
    private const string ChannelsKey = MetadataKeys.Preprocess.Channels;
    private const string InvertKey = MetadataKeys.Preprocess.Invert;
    private const string MeanKey = MetadataKeys.Preprocess.Mean;
    private const string StdKey = MetadataKeys.Preprocess.Std;

    public Dictionary<string, string> ToMetadata()
    {
        var m = new Dictionary<string, string>
        {
            [SizeKey] = Size.ToString(CultureInfo.InvariantCulture),
            [ChannelsKey] = Channels.ToString(CultureInfo.InvariantCulture),
            [InvertKey] = Invert ? "true" : "false",
        };
        if (Mean is not null) m[MeanKey] = string.Join(",", Mean.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        if (Std is not null) m[StdKey] = string.Join(",", Std.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        return m;
    }

    /// <summary>Reads the settings back; a model without them gets the architecture's input size, no inversion, no normalisation.</summary>
    public static ImagePreprocessing FromMetadata(IReadOnlyDictionary<string, string> metadata, int inputSize, int inputChannels, string source)
    {
        int size = metadata.TryGetValue(SizeKey, out var s) ? ParseInt(s, SizeKey, source) : inputSize;
        int channels = metadata.TryGetValue(ChannelsKey, out var c) ? ParseInt(c, ChannelsKey, source) : inputChannels;
        if (size != inputSize || channels != inputChannels)
            throw new InvalidDataException($"{source}: preprocessing ({channels}×{size}×{size}) does not match the network input ({inputChannels}×{inputSize}×{inputSize})");
        bool invert = metadata.TryGetValue(InvertKey, out var inv) && inv == "true";
        float[]? mean = metadata.TryGetValue(MeanKey, out var m) ? ParseFloats(m, MeanKey, channels, source) : null;
        float[]? std = metadata.TryGetValue(StdKey, out var d) ? ParseFloats(d, StdKey, channels, source) : null;
        return new ImagePreprocessing(size, channels, invert, mean, std);
    }

    /// <summary>How to read a dataset so its images come out as this model's training images did: size and channels.</summary>
    public PreprocessSettings ReadSettings() =>
        new PreprocessSettings(Size, Channels switch
        {
            1 => ChannelMode.Gray,
            3 => ChannelMode.Rgb,
            _ => ChannelMode.Auto,
        }).Validated();

    /// <summary>Applies normalisation (if any) in place to count images of this shape.</summary>
    public void Normalise(Span<float> images)
    {
        if (Mean is null && Std is null) return;
        int plane = Size * Size;
        for (int start = 0; start + Channels * plane <= images.Length; start += Channels * plane)
            for (int ch = 0; ch < Channels; ch++)
            {
                float mean = Mean?[ch] ?? 0f, std = Std?[ch] ?? 1f;
                var p = images.Slice(start + ch * plane, plane);
                for (int i = 0; i < p.Length; i++) p[i] = (p[i] - mean) / std;
            }
    }

    private static int ParseInt(string text, string key, string source) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0 ? v
            : throw new InvalidDataException($"{source}: metadata '{key}' = '{text}' is not a positive integer");

    private static float[] ParseFloats(string text, string key, int channels, string source)
    {
        var parts = text.Split(',');
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
                throw new InvalidDataException($"{source}: metadata '{key}' has a bad value '{parts[i]}'");
        if (values.Length != channels)
            throw new InvalidDataException($"{source}: metadata '{key}' has {values.Length} values for {channels} channels");
        return values;
    }
}
