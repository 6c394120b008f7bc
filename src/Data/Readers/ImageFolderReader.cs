using Lshk.Data.Imaging;

namespace Lshk.Data.Readers;

/// <summary>
/// Any folder of images with one subfolder per class (<c>root/&lt;class&gt;/&lt;image&gt;</c>), PNG, JPEG or BMP,
/// of any size. Classes are the subfolders in ordinal order, images their files in ordinal order; other files and
/// hidden entries are ignored. Images are resized to the chosen size; with <see cref="ChannelMode.Auto"/> the
/// dataset is gray (1 channel) when every image is, RGB otherwise. Values are as stored (no inversion).
/// </summary>
public static class ImageFolderReader
{
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp"];

    public static bool IsImageFile(string path) =>
        Extensions.Contains(Path.GetExtension(path).ToLowerInvariant()) && !Path.GetFileName(path).StartsWith('.');

    public static Dataset Read(string root, PreprocessSettings settings)
    {
        settings.Validated();
        if (!Directory.Exists(root))
            throw new DatasetFormatException(root, File.Exists(root) ? "expected a folder with one subfolder per class" : "folder not found");
        var classDirs = Directory.GetDirectories(root).Where(d => !Path.GetFileName(d).StartsWith('.'))
            .OrderBy(d => Path.GetFileName(d), StringComparer.Ordinal).ToArray();
        if (classDirs.Length == 0) throw new DatasetFormatException(root, "no class folders (expected one subfolder of images per class)");
        var files = new List<string>();
        var labels = new List<int>();
        for (int c = 0; c < classDirs.Length; c++)
        {
            var images = Directory.GetFiles(classDirs[c]).Where(IsImageFile).OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToArray();
            if (images.Length == 0)
                throw new DatasetFormatException(classDirs[c], $"class folder has no images ({string.Join(", ", Extensions)})");
            files.AddRange(images);
            labels.AddRange(Enumerable.Repeat(c, images.Length));
        }

        // Decode everything as RGB planes first: the channel count depends on whether all images are gray.
        var decoded = new DecodedImage[files.Count];
        ParallelWork.For(files.Count, i => decoded[i] = ImageDecoder.DecodeRgb(SourceFiles.ReadAll(files[i]), files[i]));
        int height = settings.Size == 0 ? decoded[0].Height : settings.Size;
        int width = settings.Size == 0 ? decoded[0].Width : settings.Size;
        if (settings.Size == 0)
            for (int i = 0; i < files.Count; i++)
                if (decoded[i].Height != height || decoded[i].Width != width)
                    throw new DatasetFormatException(files[i], $"image is {decoded[i].Width}×{decoded[i].Height}, the first one {width}×{height} (give a size to resize)");
        bool allGray = decoded.All(IsGray);
        int channels = ImagePipeline.ChannelsFor(settings.Channels, allGray ? 1 : 3);
        var pipeline = new ImagePipeline(channels, height, width);
        var pixels = new float[(long)files.Count * pipeline.ImageLength];
        ParallelWork.For(files.Count, i =>
        {
            var d = decoded[i];
            int plane = d.Height * d.Width;
            // A gray image's three planes are equal: its first plane is the gray value exactly.
            float[] planes = channels == 1 && IsGray(d) ? d.Planes.AsSpan(0, plane).ToArray()
                : ImagePipeline.ConvertChannels(d.Planes, 3, plane, channels);
            pipeline.Write(planes, d.Height, d.Width, pixels.AsSpan(i * pipeline.ImageLength, pipeline.ImageLength));
            decoded[i] = null!;
        });
        var names = classDirs.Select(Path.GetFileName).Select(n => n!).ToArray();
        return new Dataset(pixels, files.Count, channels, height, width, labels.ToArray(), names, null, root);
    }

    private static bool IsGray(DecodedImage d)
    {
        int plane = d.Height * d.Width;
        var p = d.Planes.AsSpan();
        return p.Slice(0, plane).SequenceEqual(p.Slice(plane, plane)) && p.Slice(0, plane).SequenceEqual(p.Slice(2 * plane, plane));
    }
}
