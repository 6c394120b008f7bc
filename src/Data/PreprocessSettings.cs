namespace Lshk.Data;

/// <summary>Which channels the images get: as the data has them, or forced to gray or RGB.</summary>
public enum ChannelMode
{
    /// <summary>1 channel for gray data (Omniglot, MNIST, folders of gray images), 3 for colour (CIFAR).</summary>
    Auto,
    /// <summary>One channel; colour is converted to luminance (0.299 R + 0.587 G + 0.114 B).</summary>
    Gray,
    /// <summary>Three channels; gray is repeated.</summary>
    Rgb,
}

/// <summary>
/// How images are prepared for the network: resized (antialiased, see <see cref="Imaging.AreaResize"/>) to
/// Size×Size, or kept at their own size when Size is 0, with the channels chosen by <see cref="Channels"/>.
/// Values are in [0, 1]; per-channel normalisation is separate (<see cref="ChannelStats"/>), since it is stored
/// with the model. The settings are part of every cache key.
/// </summary>
public sealed record PreprocessSettings(int Size = 28, ChannelMode Channels = ChannelMode.Auto)
{
    public const int MaxSize = 1024;

    public static PreprocessSettings Default { get; } = new();

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public PreprocessSettings Validated()
    {
        if (Size < 0 || Size > MaxSize) throw new Lshk.Core.InputException($"image size {Size} is out of range (1 to {MaxSize}, or 0 for the native size)");
        if (!Enum.IsDefined(Channels)) throw new ArgumentException($"unknown channel mode {(int)Channels}");
        return this;
    }

    /// <summary>A stable text form, used in cache keys.</summary>
    public string Key => $"size={Size};channels={Channels.ToString().ToLowerInvariant()}";

    public static ChannelMode ParseChannels(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => ChannelMode.Auto,
        "gray" or "grey" or "1" => ChannelMode.Gray,
        "rgb" or "3" => ChannelMode.Rgb,
        _ => throw new Lshk.Core.InputException($"unknown channel mode '{text}' (auto, gray or rgb)"),
    };
}
