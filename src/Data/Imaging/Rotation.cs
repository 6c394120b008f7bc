namespace Lshk.Data.Imaging;

/// <summary>Exact rotations of square C×S×S images by multiples of 90° (counter-clockwise, as numpy.rot90).</summary>
public static class Rotation
{
    /// <summary>Rotates every plane of <paramref name="source"/> by <paramref name="quarterTurns"/> × 90° counter-clockwise.</summary>
    public static void Rotate(ReadOnlySpan<float> source, int channels, int size, int quarterTurns, Span<float> destination)
    {
        int plane = size * size;
        if (source.Length != channels * plane || destination.Length != source.Length)
            throw new ArgumentException("rotation needs square planes of equal size");
        int turns = ((quarterTurns % 4) + 4) % 4;
        for (int c = 0; c < channels; c++)
        {
            var src = source.Slice(c * plane, plane);
            var dst = destination.Slice(c * plane, plane);
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    // Destination (y, x) reads the source pixel that a counter-clockwise turn moves there.
                    int from = turns switch
                    {
                        0 => y * size + x,
                        1 => x * size + (size - 1 - y),
                        2 => (size - 1 - y) * size + (size - 1 - x),
                        _ => (size - 1 - x) * size + y,
                    };
                    dst[y * size + x] = src[from];
                }
        }
    }
}
