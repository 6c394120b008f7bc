using System.Collections.Concurrent;

namespace Lshk.Data.Imaging;

/// <summary>Turns decoded images into the dataset's layout: chosen channels, resized to the output size.</summary>
internal sealed class ImagePipeline
{
    private readonly ConcurrentDictionary<(int, int), AreaResize> _resizers = new();

    public ImagePipeline(int channels, int height, int width)
    {
        Channels = channels; Height = height; Width = width;
    }

    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int ImageLength => Channels * Height * Width;

    /// <summary>Writes <paramref name="image"/> into <paramref name="destination"/> (Channels×Height×Width).</summary>
    public void Write(DecodedImage image, Span<float> destination) =>
        Write(ConvertChannels(image.Planes, image.Channels, image.Height * image.Width, Channels), image.Height, image.Width, destination);

    /// <summary>Writes planes that already have <see cref="Channels"/> channels, resizing them if needed.</summary>
    public void Write(ReadOnlySpan<float> planes, int height, int width, Span<float> destination)
    {
        if (height == Height && width == Width) { planes.CopyTo(destination); return; }
        var resize = _resizers.GetOrAdd((height, width), k => new AreaResize(k.Item1, k.Item2, Height, Width));
        resize.Apply(planes, Channels, destination);
        // Weights summing to 1 in float can overshoot by an ulp: keep the promise of values in [0, 1].
        foreach (ref float v in destination) v = Math.Clamp(v, 0f, 1f);
    }

    /// <summary>Gray → RGB repeats the plane; RGB → gray takes the luminance (ITU-R BT.601 weights, as PIL's "L").</summary>
    public static float[] ConvertChannels(float[] planes, int from, int plane, int to)
    {
        if (from == to) return planes;
        var result = new float[to * plane];
        if (from == 1 && to == 3)
            for (int c = 0; c < 3; c++) planes.AsSpan(0, plane).CopyTo(result.AsSpan(c * plane));
        else if (from == 3 && to == 1)
            for (int i = 0; i < plane; i++)
                result[i] = 0.299f * planes[i] + 0.587f * planes[plane + i] + 0.114f * planes[2 * plane + i];
        else throw new ArgumentException($"cannot convert {from} channels to {to}");
        return result;
    }

    public static int ChannelsFor(ChannelMode mode, int natural) => mode switch
    {
        ChannelMode.Gray => 1,
        ChannelMode.Rgb => 3,
        _ => natural,
    };
}
