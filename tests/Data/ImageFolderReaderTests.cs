using Lshk.Data;
using Lshk.Data.Readers;
using SixLabors.ImageSharp.PixelFormats;

namespace Lshk.Tests.Data;

/// <summary>Folders of PNG/JPEG/BMP images, one subfolder per class.</summary>
public sealed class ImageFolderReaderTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string Class(string name)
    {
        string dir = Path.Combine(_tmp.Path, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Fact]
    public void GrayImagesOfAnySizeGiveOneChannel()
    {
        File.WriteAllBytes(Path.Combine(Class("b"), "1.png"), DataFiles.Png(8, 8, (x, y) => (byte)(x < 4 ? 0 : 255)));
        File.WriteAllBytes(Path.Combine(Class("a"), "2.png"), DataFiles.Png(6, 3, (_, _) => 51));
        File.WriteAllBytes(Path.Combine(Class("a"), "1.bmp"), DataFiles.RgbImage(4, 4, (_, _) => new Rgb24(102, 102, 102), "bmp"));
        File.WriteAllText(Path.Combine(Class("a"), "notes.txt"), "ignored");
        var d = ImageFolderReader.Read(_tmp.Path, new PreprocessSettings(Size: 4));
        Assert.Equal(["a", "b"], d.ClassNames);
        Assert.Equal([0, 0, 1], d.Labels);
        Assert.Equal((1, 4, 4), (d.Channels, d.Height, d.Width));
        Assert.All(d.Image(0).ToArray(), v => Assert.Equal(0.4f, v, 6));   // a/1.bmp, 102/255
        Assert.All(d.Image(1).ToArray(), v => Assert.Equal(0.2f, v, 6));   // a/2.png, 51/255, resized 6×3 → 4×4
        // b/1.png: the left half black, the right half white, halved exactly by area averaging.
        var b = d.Image(2);
        Assert.Equal([0f, 0f, 1f, 1f], b[..4].ToArray());
    }

    [Fact]
    public void ColourImagesGiveThreeChannels()
    {
        File.WriteAllBytes(Path.Combine(Class("red"), "r.png"), DataFiles.RgbImage(5, 5, (_, _) => new Rgb24(255, 0, 0), "png"));
        File.WriteAllBytes(Path.Combine(Class("gray"), "g.png"), DataFiles.Png(5, 5, (_, _) => 255));
        var d = ImageFolderReader.Read(_tmp.Path, new PreprocessSettings(Size: 0));
        Assert.Equal((3, 5, 5), (d.Channels, d.Height, d.Width));
        var red = d.Image(1);
        Assert.Equal(1f, red[0]);
        Assert.Equal(0f, red[25]);
        Assert.All(d.Image(0).ToArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void JpegDecodesNearItsSource()
    {
        File.WriteAllBytes(Path.Combine(Class("c"), "x.jpg"), DataFiles.RgbImage(16, 16, (_, _) => new Rgb24(200, 100, 50), "jpg"));
        var d = ImageFolderReader.Read(_tmp.Path, new PreprocessSettings(Size: 0));
        Assert.Equal(3, d.Channels);
        Assert.Equal(200 / 255f, d.Image(0)[0], 1);
        Assert.Equal(50 / 255f, d.Image(0)[2 * 256], 1);
    }

    [Fact]
    public void TrainingReadsTheSameImagesAsASupportFolder()
    {
        // One rule for every class-folder walk: class folders are the visible subfolders; each class's images are
        // searched recursively (hidden entries and __MACOSX skipped), in ordinal order of their path in the class folder.
        string a = Class("a");
        File.WriteAllBytes(Path.Combine(a, "2.png"), DataFiles.Png(4, 4, (_, _) => 20));
        Directory.CreateDirectory(Path.Combine(a, "more"));
        File.WriteAllBytes(Path.Combine(a, "more", "1.png"), DataFiles.Png(4, 4, (_, _) => 40));
        Directory.CreateDirectory(Path.Combine(a, ".hidden"));
        File.WriteAllBytes(Path.Combine(a, ".hidden", "x.png"), DataFiles.Png(4, 4, (_, _) => 60));
        File.WriteAllBytes(Path.Combine(a, ".y.png"), DataFiles.Png(4, 4, (_, _) => 80));
        File.WriteAllBytes(Path.Combine(Class("__MACOSX"), "z.png"), DataFiles.Png(4, 4, (_, _) => 100));
        File.WriteAllBytes(Path.Combine(Class("b"), "1.png"), DataFiles.Png(4, 4, (_, _) => 120));

        var support = Lshk.Data.Imaging.ImageFiles.ClassFolders(_tmp.Path);
        Assert.Equal(["a", "b"], support.Select(c => c.Class));
        Assert.Equal([Path.Combine(a, "2.png"), Path.Combine(a, "more", "1.png")], support[0].Files);
        var d = ImageFolderReader.Read(_tmp.Path, new PreprocessSettings(Size: 4));
        Assert.Equal(["a", "b"], d.ClassNames);
        Assert.Equal([0, 0, 1], d.Labels);
        // The images in the walk's order: gray levels 20, 40 (class a), 120 (class b).
        Assert.Equal([20 / 255f, 40 / 255f, 120 / 255f], Enumerable.Range(0, 3).Select(i => d.Image(i)[0]));
    }

    [Fact]
    public void ClassFolderWithoutImagesIsReported()
    {
        File.WriteAllBytes(Path.Combine(Class("a"), "1.png"), DataFiles.Png(4, 4, (_, _) => 0));
        string empty = Class("empty");
        File.WriteAllText(Path.Combine(empty, "readme.txt"), "no images here");
        var e = Assert.Throws<DatasetFormatException>(() => ImageFolderReader.Read(_tmp.Path, PreprocessSettings.Default));
        Assert.Equal($"{empty}: class folder has no images (.png, .jpg, .jpeg, .bmp)", e.Message);
    }

    [Fact]
    public void CorruptImageIsReportedWithItsName()
    {
        string bad = Path.Combine(Class("a"), "bad.png");
        File.WriteAllBytes(bad, DataFiles.Png(4, 4, (_, _) => 9)[..30]);
        var e = Assert.Throws<DatasetFormatException>(() => ImageFolderReader.Read(_tmp.Path, PreprocessSettings.Default));
        Assert.StartsWith(bad + ": ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void NativeSizeNeedsEqualSizes()
    {
        File.WriteAllBytes(Path.Combine(Class("a"), "1.png"), DataFiles.Png(4, 4, (_, _) => 0));
        File.WriteAllBytes(Path.Combine(Class("a"), "2.png"), DataFiles.Png(5, 4, (_, _) => 0));
        var e = Assert.Throws<DatasetFormatException>(() => ImageFolderReader.Read(_tmp.Path, new PreprocessSettings(Size: 0)));
        Assert.Contains("2.png: image is 5×4, the first one 4×4", e.Message);
        Assert.Throws<DatasetFormatException>(() => ImageFolderReader.Read(_tmp.File("missing"), PreprocessSettings.Default));
    }
}
