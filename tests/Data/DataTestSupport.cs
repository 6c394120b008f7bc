using Lshk.Data;
using Lshk.Data.Readers;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Lshk.Tests.Data;

/// <summary>The real datasets in ../shared/datasets (present in CI), and small files in the official formats.</summary>
internal static class DataFiles
{
    /// <summary>shared/datasets beside the repository: found by walking up to the folder holding Kernels.sln.</summary>
    public static string SharedDatasets { get; } = FindShared();

    public static string OmniglotFolder => Path.Combine(SharedDatasets, "omniglot");
    public static string OmniglotBackground => Path.Combine(OmniglotFolder, "images_background.zip");
    public static string OmniglotEvaluation => Path.Combine(OmniglotFolder, "images_evaluation.zip");
    public static string MnistFolder => Path.Combine(SharedDatasets, "mnist");

    private static string FindShared()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Kernels.sln")))
            {
                string shared = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "datasets"));
                // Missing data must fail the tests, never skip them.
                if (!Directory.Exists(shared)) throw new DirectoryNotFoundException($"{shared}: the shared datasets are missing");
                return shared;
            }
        throw new DirectoryNotFoundException("no Kernels.sln above " + AppContext.BaseDirectory);
    }

    private static readonly Lazy<Dataset> Background = new(() => OmniglotReader.Read(OmniglotBackground, PreprocessSettings.Default));
    private static readonly Lazy<Dataset> Evaluation = new(() => OmniglotReader.Read(OmniglotEvaluation, PreprocessSettings.Default));

    /// <summary>The Omniglot sets at 28×28, decoded once for all tests.</summary>
    public static Dataset OmniglotBackgroundSet => Background.Value;
    public static Dataset OmniglotEvaluationSet => Evaluation.Value;

    // ---- small files in the official formats ----

    public static byte[] Png(int width, int height, Func<int, int, byte> gray)
    {
        using var image = new Image<L8>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) image[x, y] = new L8(gray(x, y));
        var ms = new MemoryStream();
        image.SaveAsPng(ms);
        return ms.ToArray();
    }

    public static byte[] RgbImage(int width, int height, Func<int, int, Rgb24> color, string format)
    {
        using var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) image[x, y] = color(x, y);
        var ms = new MemoryStream();
        switch (format)
        {
            case "png": image.SaveAsPng(ms); break;
            case "bmp": image.SaveAsBmp(ms); break;
            default: image.SaveAsJpeg(ms); break;
        }
        return ms.ToArray();
    }

    /// <summary>An IDX file: magic 0x0000 08 rank, big-endian dimensions, the bytes.</summary>
    public static byte[] Idx(int[] dims, byte[] data)
    {
        var bytes = new List<byte> { 0, 0, 8, (byte)dims.Length };
        foreach (int d in dims) bytes.AddRange(new[] { (byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d });
        bytes.AddRange(data);
        return bytes.ToArray();
    }

    public static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    /// <summary>A small MNIST half: n images of 28×28 whose pixels are a function of (image, pixel), labels i % 10.</summary>
    public static void WriteMnist(string folder, string half, int n, bool gz = true)
    {
        var pixels = new byte[n * 784];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 7 % 251);
        var labels = Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray();
        string suffix = gz ? ".gz" : "";
        File.WriteAllBytes(Path.Combine(folder, $"{half}-images-idx3-ubyte{suffix}"), Wrap(Idx([n, 28, 28], pixels), gz));
        File.WriteAllBytes(Path.Combine(folder, $"{half}-labels-idx1-ubyte{suffix}"), Wrap(Idx([n], labels), gz));
    }

    private static byte[] Wrap(byte[] b, bool gz) => gz ? Gzip(b) : b;

    /// <summary>
    /// A CIFAR record: label byte(s) then 3072 pixel bytes (R plane, G plane, B plane). Pixel (c, y, x) of record
    /// <paramref name="seed"/> holds (seed·31 + c·71 + y·5 + x·3) mod 256, so every value is known to the test.
    /// </summary>
    public static byte[] CifarRecord(int seed, params byte[] labels)
    {
        var record = new byte[labels.Length + 3072];
        labels.CopyTo(record, 0);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                    record[labels.Length + c * 1024 + y * 32 + x] = CifarPixel(seed, c, y, x);
        return record;
    }

    public static byte CifarPixel(int seed, int c, int y, int x) => (byte)((seed * 31 + c * 71 + y * 5 + x * 3) % 256);

    /// <summary>A small Omniglot zip in the official layout: alphabets × characters × drawings, 105×105 PNGs.</summary>
    public static void WriteOmniglotZip(string path, int alphabets, int characters, int drawings, string top = "images_background")
    {
        using var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create);
        for (int a = 0; a < alphabets; a++)
            for (int c = 0; c < characters; c++)
                for (int d = 0; d < drawings; d++)
                {
                    var entry = zip.CreateEntry($"{top}/Alphabet{a}/character{c + 1:D2}/{a * 100 + c:D4}_{d + 1:D2}.png");
                    using var s = entry.Open();
                    int seed = a * 1000 + c * 10 + d;
                    s.Write(Png(105, 105, (x, y) => (x + y + seed) % 11 == 0 ? (byte)0 : (byte)255));
                }
    }
}
