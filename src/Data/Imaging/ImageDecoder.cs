using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Lshk.Data.Imaging;

/// <summary>A decoded image as float planes in [0, 1]: 1 plane (gray) or 3 (R, G, B), each Height×Width.</summary>
public sealed record DecodedImage(float[] Planes, int Channels, int Height, int Width)
{
    /// <summary>Whether the image is gray: one plane, or three equal ones.</summary>
    public bool IsGray
    {
        get
        {
            if (Channels == 1) return true;
            int plane = Height * Width;
            var p = Planes.AsSpan();
            return p[..plane].SequenceEqual(p.Slice(plane, plane)) && p[..plane].SequenceEqual(p.Slice(2 * plane, plane));
        }
    }

    /// <summary>
    /// The image's planes converted to <paramref name="channels"/> (gray → repeated; colour → luminance). A gray image's
    /// planes are equal, so its first plane is its gray value exactly, with no rounding through the luminance weights.
    /// </summary>
    public float[] PlanesFor(int channels) =>
        channels == 1 && IsGray ? Planes.AsSpan(0, Height * Width).ToArray() : ImagePipeline.ConvertChannels(Planes, Channels, Height * Width, channels);
}

/// <summary>
/// Decodes PNG, JPEG and BMP files with ImageSharp into float planes. Every failure — not an image, a truncated or
/// corrupt file, absurd dimensions — becomes a <see cref="DatasetFormatException"/> naming the file.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Largest accepted width or height, and pixel count: guards against images that claim huge sizes.</summary>
    public const int MaxSide = 16384;
    public const long MaxPixels = 1L << 26;

    // Only the formats we promise, one decoding thread each (callers decode many images in parallel).
    private static readonly Configuration Formats = new(new PngConfigurationModule(), new JpegConfigurationModule(), new BmpConfigurationModule())
    {
        MaxDegreeOfParallelism = 1,
    };

    private static readonly Configuration PngOnly = new(new PngConfigurationModule()) { MaxDegreeOfParallelism = 1 };

    /// <summary>
    /// An image's width and height read from its header alone (nothing is decoded), so that a service can refuse an
    /// image that declares a huge size before spending memory on it.
    /// </summary>
    public static (int Width, int Height) Measure(byte[] bytes, string name)
    {
        try
        {
            var info = Image.Identify(Formats, new MemoryStream(bytes, writable: false))
                       ?? throw new DatasetFormatException(name, "not a PNG, JPEG or BMP image");
            return (info.Width, info.Height);
        }
        catch (DatasetFormatException) { throw; }
        catch (UnknownImageFormatException) { throw new DatasetFormatException(name, "not a PNG, JPEG or BMP image"); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new DatasetFormatException(name, $"corrupt image ({DatasetFormatException.OneLine(e.Message)})", e);
        }
    }

    /// <summary>Decodes to one gray plane (0 = black, 1 = white); colour images are converted to luminance.</summary>
    public static DecodedImage DecodeGray(byte[] bytes, string name, bool pngOnly = false) =>
        Decode(bytes, name, pngOnly, gray: true);

    /// <summary>Decodes to three planes R, G, B.</summary>
    public static DecodedImage DecodeRgb(byte[] bytes, string name) => Decode(bytes, name, pngOnly: false, gray: false);

    private static DecodedImage Decode(byte[] bytes, string name, bool pngOnly, bool gray)
    {
        var config = pngOnly ? PngOnly : Formats;
        string kind = pngOnly ? "PNG" : "PNG, JPEG or BMP";
        try
        {
            var info = Image.Identify(config, new MemoryStream(bytes, writable: false))
                       ?? throw new DatasetFormatException(name, $"not a {kind} image");
            if (info.Width < 1 || info.Height < 1 || info.Width > MaxSide || info.Height > MaxSide || (long)info.Width * info.Height > MaxPixels)
                throw new DatasetFormatException(name, $"image size {info.Width}×{info.Height} is out of range");
            if (gray)
            {
                using var image = Image.Load<L8>(config, bytes);
                var pixels = new L8[image.Width * image.Height];
                image.CopyPixelDataTo(pixels);
                var planes = new float[pixels.Length];
                for (int i = 0; i < pixels.Length; i++) planes[i] = pixels[i].PackedValue / 255f;
                return new DecodedImage(planes, 1, image.Height, image.Width);
            }
            else
            {
                using var image = Image.Load<Rgb24>(config, bytes);
                int n = image.Width * image.Height;
                var pixels = new Rgb24[n];
                image.CopyPixelDataTo(pixels);
                var planes = new float[3 * n];
                for (int i = 0; i < n; i++)
                {
                    planes[i] = pixels[i].R / 255f;
                    planes[n + i] = pixels[i].G / 255f;
                    planes[2 * n + i] = pixels[i].B / 255f;
                }
                return new DecodedImage(planes, 3, image.Height, image.Width);
            }
        }
        catch (DatasetFormatException) { throw; }
        catch (UnknownImageFormatException) { throw new DatasetFormatException(name, $"not a {kind} image"); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // ImageSharp reports damaged data with several exception types (format, content, zlib, index errors).
            throw new DatasetFormatException(name, $"corrupt image ({DatasetFormatException.OneLine(e.Message)})", e);
        }
    }
}
