using System.Globalization;

namespace Lshk.Data.Imaging;

/// <summary>
/// Random affine distortions of training images (<c>lshk train --augment</c>): every image of every episode is rotated,
/// scaled, sheared and shifted about its centre by amounts drawn uniformly within these limits, and resampled
/// bilinearly with its border pixels extended outwards (Omniglot's paper stays paper). Why: the test alphabets are
/// drawn by the same kind of hands with their own slant, size and placement, so a network that has seen each training
/// character in many small distortions has less to learn from a writer's habits; Koch et al.'s one-shot Omniglot
/// networks were trained with distortions of this kind.
/// A limit of 0 leaves that part out. The draws for image <c>i</c> of episode <c>e</c> are a pure function of
/// (seed, e, i) (<see cref="CounterRandom"/>), so a resumed run sees the distortions an uninterrupted one saw.
/// </summary>
public sealed record RandomAffine(float ShiftPixels, float RotationDegrees, float ScaleFraction, float Shear)
{
    /// <summary>The option's value for no augmentation.</summary>
    public const string NoneName = "none";

    private const ulong Stream = 0x41464649u; // "AFFI"
    private const int DrawsPerImage = 5;       // angle, scale, shear, shift x, shift y
    private const double UnitFromBits = 1.0 / (1UL << 53);

    /// <summary>Parts of the option's value, in their canonical order.</summary>
    private static readonly string[] PartNames = ["shift", "rotate", "scale", "shear"];

    /// <summary>
    /// Parses <c>none</c> (null) or comma-separated limits such as <c>shift:1,rotate:10,scale:0.1,shear:0.1</c>: shift in
    /// pixels (each axis), rotate in degrees (either way, at most 180), scale as a fraction (factor in [1 − s, 1 + s],
    /// s below 1), shear as a factor (x += shear·y, at most 1); all limits 0 is none. Throws <see cref="FormatException"/> with a one-line reason.
    /// </summary>
    public static RandomAffine? Parse(string text)
    {
        string value = text.Trim().ToLowerInvariant();
        if (value == NoneName) return null;
        var limits = new Dictionary<string, float>();
        foreach (string part in value.Split(','))
        {
            string[] kv = part.Split(':');
            if (kv.Length != 2 || !PartNames.Contains(kv[0].Trim()))
                throw new FormatException($"'{part}' is not one of {string.Join(", ", PartNames.Select(n => n + ":LIMIT"))}");
            string name = kv[0].Trim();
            if (!float.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out float limit) || !(limit >= 0) || !float.IsFinite(limit))
                throw new FormatException($"the {name} limit must be a non-negative number (got '{kv[1]}')");
            if (!limits.TryAdd(name, limit)) throw new FormatException($"{name} is given twice");
        }
        var affine = new RandomAffine(limits.GetValueOrDefault("shift"), limits.GetValueOrDefault("rotate"),
            limits.GetValueOrDefault("scale"), limits.GetValueOrDefault("shear"));
        if (affine == new RandomAffine(0, 0, 0, 0)) return null; // every limit 0: nothing to distort
        if (affine.RotationDegrees > 180) throw new FormatException($"the rotate limit is at most 180 degrees (got {affine.RotationDegrees})");
        if (affine.ScaleFraction >= 1) throw new FormatException($"the scale limit must be below 1 (got {affine.ScaleFraction})");
        if (affine.Shear > 1) throw new FormatException($"the shear limit is at most 1 (got {affine.Shear})");
        return affine;
    }

    /// <summary>The canonical option value (model metadata, checkpoint fingerprints): the non-zero limits in a fixed order.</summary>
    public string Describe()
    {
        float[] values = [ShiftPixels, RotationDegrees, ScaleFraction, Shear];
        return string.Join(",", PartNames.Zip(values).Where(p => p.Second != 0)
            .Select(p => p.First + ":" + p.Second.ToString("R", CultureInfo.InvariantCulture)));
    }

    /// <summary>The distortion of image <paramref name="image"/> of episode <paramref name="episode"/> under <paramref name="seed"/>.</summary>
    public AffineTransform Draw(ulong seed, long episode, int image)
    {
        var random = new CounterRandom(seed, Stream).Substream((ulong)episode);
        ulong first = (ulong)image * DrawsPerImage;
        double Symmetric(int k) => 2 * ((random.Bits(first + (ulong)k) >> 11) * UnitFromBits) - 1; // uniform in [-1, 1)
        return new AffineTransform(
            RotationDegrees * Symmetric(0) * Math.PI / 180,
            1 + ScaleFraction * Symmetric(1),
            Shear * Symmetric(2),
            ShiftPixels * Symmetric(3),
            ShiftPixels * Symmetric(4));
    }
}

/// <summary>
/// One affine distortion about the image centre c: a destination pixel q shows the source at
/// p = c + A⁻¹(q − c − t), with A = R(angle) · [[1, shear], [0, 1]] · scale and t = (shift x, shift y), in pixel
/// coordinates (x right, y down; so a positive angle turns the image clockwise on screen).
/// </summary>
public readonly record struct AffineTransform(double Angle, double Scale, double Shear, double ShiftX, double ShiftY)
{
    /// <summary>
    /// Writes the distorted <paramref name="source"/> (channels × height × width) to <paramref name="destination"/>:
    /// bilinear interpolation, coordinates outside the image clamped to its border pixels.
    /// </summary>
    public void Warp(ReadOnlySpan<float> source, Span<float> destination, int channels, int height, int width)
    {
        int plane = height * width;
        if (source.Length != channels * plane || destination.Length != source.Length)
            throw new ArgumentException("the source and destination must both hold channels × height × width values");
        double cos = Math.Cos(Angle), sin = Math.Sin(Angle);
        // A = R · Sh · s = s·[[cos, cos·shear − sin], [sin, sin·shear + cos]], det A = s²
        double a = Scale * cos, b = Scale * (cos * Shear - sin), c = Scale * sin, d = Scale * (sin * Shear + cos);
        double det = a * d - b * c;
        double ia = d / det, ib = -b / det, ic = -c / det, id = a / det;
        double cx = (width - 1) / 2.0, cy = (height - 1) / 2.0;
        for (int y = 0; y < height; y++)
        {
            double ry = y - cy - ShiftY;
            for (int x = 0; x < width; x++)
            {
                double rx = x - cx - ShiftX;
                double px = cx + ia * rx + ib * ry, py = cy + ic * rx + id * ry;
                int x0 = (int)Math.Floor(px), y0 = (int)Math.Floor(py);
                float fx = (float)(px - x0), fy = (float)(py - y0);
                int xa = Math.Clamp(x0, 0, width - 1), xb = Math.Clamp(x0 + 1, 0, width - 1);
                int ya = Math.Clamp(y0, 0, height - 1), yb = Math.Clamp(y0 + 1, 0, height - 1);
                for (int ch = 0; ch < channels; ch++)
                {
                    var src = source.Slice(ch * plane, plane);
                    float top = src[ya * width + xa] + fx * (src[ya * width + xb] - src[ya * width + xa]);
                    float bottom = src[yb * width + xa] + fx * (src[yb * width + xb] - src[yb * width + xa]);
                    destination[ch * plane + y * width + x] = top + fy * (bottom - top);
                }
            }
        }
    }
}
