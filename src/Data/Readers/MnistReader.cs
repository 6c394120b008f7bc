using Lshk.Data.Imaging;

namespace Lshk.Data.Readers;

/// <summary>
/// MNIST in its official IDX files: <c>train-images-idx3-ubyte</c>/<c>train-labels-idx1-ubyte</c> (60,000 images)
/// and <c>t10k-images-idx3-ubyte</c>/<c>t10k-labels-idx1-ubyte</c> (10,000), each gzipped (<c>.gz</c>) or not.
/// Pixels are 0 (background) … 255 (ink), read as v/255: white digits on black, ink = 1 as in Omniglot.
/// Classes are the digits "0"…"9".
/// </summary>
public static class MnistReader
{
    public static readonly string[] Halves = ["train", "t10k"];
    private static readonly string[] Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>Reads one pair of image and label files (classes named as MNIST's digits unless <paramref name="classNames"/> says otherwise).</summary>
    public static Dataset Read(string imagesPath, string labelsPath, PreprocessSettings settings, IReadOnlyList<string>? classNames = null)
    {
        string[] names = (classNames ?? Digits).ToArray();
        if (names.Length != Digits.Length) throw new ArgumentException($"an IDX dataset has {Digits.Length} classes, not {names.Length}");
        settings.Validated();
        var (dims, pixels) = IdxFile.ReadBytes(imagesPath, 3);
        var (labelDims, labelBytes) = IdxFile.ReadBytes(labelsPath, 1);
        int n = dims[0], h = dims[1], w = dims[2];
        if (labelDims[0] != n)
            throw new DatasetFormatException(labelsPath, $"{labelDims[0]} labels for the {n} images of {imagesPath}");
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            if (labelBytes[i] > 9) throw new DatasetFormatException(labelsPath, $"label {labelBytes[i]} of image {i} is not a digit");
            labels[i] = labelBytes[i];
        }
        int outH = settings.Size == 0 ? h : settings.Size, outW = settings.Size == 0 ? w : settings.Size;
        int channels = ImagePipeline.ChannelsFor(settings.Channels, 1);
        var pipeline = new ImagePipeline(channels, outH, outW);
        var images = new float[(long)n * pipeline.ImageLength];
        int plane = h * w;
        ParallelWork.For(n, i =>
        {
            var gray = new float[plane];
            for (int p = 0; p < plane; p++) gray[p] = pixels[(long)i * plane + p] / 255f;
            pipeline.Write(ImagePipeline.ConvertChannels(gray, 1, plane, channels), h, w, images.AsSpan(i * pipeline.ImageLength, pipeline.ImageLength));
        });
        return new Dataset(images, n, channels, outH, outW, labels, names, null, imagesPath);
    }

    /// <summary>The image and label files of one half ("train" or "t10k") in a folder, gzipped or not; null when absent.</summary>
    public static (string Images, string Labels)? FindHalf(string folder, string half)
    {
        string? images = Existing(folder, $"{half}-images-idx3-ubyte");
        string? labels = Existing(folder, $"{half}-labels-idx1-ubyte");
        if (images is null && labels is null) return null;
        if (images is null) throw new DatasetFormatException(Path.Combine(folder, $"{half}-images-idx3-ubyte.gz"), "file not found (its labels are there)");
        if (labels is null) throw new DatasetFormatException(Path.Combine(folder, $"{half}-labels-idx1-ubyte.gz"), "file not found (its images are there)");
        return (images, labels);
    }

    private static string? Existing(string folder, string name)
    {
        foreach (string candidate in new[] { name + ".gz", name, name.Replace("-idx", ".idx") })
        {
            string path = Path.Combine(folder, candidate);
            if (File.Exists(path)) return path;
        }
        return null;
    }
}
