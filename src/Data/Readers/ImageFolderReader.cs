using Lshk.Data.Imaging;

namespace Lshk.Data.Readers;

/// <summary>
/// Any folder of images with one subfolder per class (<c>root/&lt;class&gt;/…/&lt;image&gt;</c>), PNG, JPEG or BMP, of
/// any size, laid out as <see cref="ImageFiles.ClassFolders"/> reads it (the rule classify and enroll use too). Images
/// are resized to the chosen size; with <see cref="ChannelMode.Auto"/> the dataset is gray (1 channel) when every image
/// is, RGB otherwise. Values are as stored (no inversion).
/// </summary>
public static class ImageFolderReader
{
    public static Dataset Read(string root, PreprocessSettings settings)
    {
        settings.Validated();
        var classes = ImageFiles.ClassFolders(root);
        var files = new List<string>();
        var labels = new List<int>();
        for (int c = 0; c < classes.Count; c++)
        {
            files.AddRange(classes[c].Files);
            labels.AddRange(Enumerable.Repeat(c, classes[c].Files.Count));
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
        int channels = ImagePipeline.ChannelsFor(settings.Channels, decoded.All(d => d.IsGray) ? 1 : 3);
        var pipeline = new ImagePipeline(channels, height, width);
        var pixels = new float[(long)files.Count * pipeline.ImageLength];
        ParallelWork.For(files.Count, i =>
        {
            var d = decoded[i];
            pipeline.Write(d.PlanesFor(channels), d.Height, d.Width, pixels.AsSpan(i * pipeline.ImageLength, pipeline.ImageLength));
            decoded[i] = null!;
        });
        var names = classes.Select(c => c.Class).ToArray();
        return new Dataset(pixels, files.Count, channels, height, width, labels.ToArray(), names, null, root);
    }
}
