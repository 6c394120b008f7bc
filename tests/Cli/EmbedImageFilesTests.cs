using Lshk.App.Modeling;
using Lshk.Data.Imaging;
using Lshk.Data;
using Lshk.Data.Readers;
using Lshk.Tests.Data;
using SixLabors.ImageSharp.PixelFormats;

namespace Lshk.Tests.Cli;

public class EmbedImageFilesTests
{
    [Theory]
    [InlineData(28)]
    [InlineData(105)]
    public void OmniglotPngsGiveTheOmniglotReadersTensorsBitForBit(int size)
    {
        using var dir = new TempFolder();
        ClassifyTestModels.ExtractEvaluation(dir.Path, characters: 4, drawings: 3, skipCharacters: 100);
        var reader = OmniglotReader.Read(dir.Path, new PreprocessSettings(size == 105 ? 0 : size));
        var files = ImageFiles.Find([dir.Path]);
        var batch = ImageFiles.Load(files, new ImagePreprocessing(size, 1, Invert: true));
        Assert.Equal(12, batch.Count);
        Assert.Equal(reader.Count, batch.Count);
        Assert.Equal(reader.ImageLength, size * size);
        // Same order (alphabet, character, file) and the same floats, bit for bit.
        Assert.Equal(reader.Images, batch.Pixels);
        // Inversion matters: ink is 1, so an Omniglot drawing is mostly 0 (paper).
        Assert.InRange(batch.Pixels.Average(), 0.02, 0.3);
    }

    [Fact]
    public void FolderImagesMatchTheFolderReaderInGrayAndRgb()
    {
        using var dir = new TempFolder();
        string a = Directory.CreateDirectory(dir.File("a")).FullName, b = Directory.CreateDirectory(dir.File("b")).FullName;
        File.WriteAllBytes(Path.Combine(a, "1.png"), DataFiles.RgbImage(30, 24, (x, y) => new Rgb24((byte)(x * 8), (byte)(y * 10), 77), "png"));
        File.WriteAllBytes(Path.Combine(a, "2.jpg"), DataFiles.RgbImage(16, 16, (x, y) => new Rgb24((byte)(x * 16), 40, (byte)(y * 16)), "jpg"));
        File.WriteAllBytes(Path.Combine(b, "3.bmp"), DataFiles.RgbImage(20, 20, (x, y) => new Rgb24((byte)(x * 12), (byte)(x * 12), (byte)(x * 12)), "bmp"));
        File.WriteAllBytes(Path.Combine(b, "4.png"), DataFiles.Png(40, 10, (x, y) => (byte)(x * 6 + y)));
        var files = ImageFiles.Find([dir.Path]);
        Assert.Equal(["a/1.png", "a/2.jpg", "b/3.bmp", "b/4.png"], files.Select(f => Path.GetRelativePath(dir.Path, f).Replace('\\', '/')));
        foreach (var (mode, channels) in new[] { (ChannelMode.Gray, 1), (ChannelMode.Rgb, 3) })
        {
            var reader = ImageFolderReader.Read(dir.Path, new PreprocessSettings(20, mode));
            var batch = ImageFiles.Load(files, new ImagePreprocessing(20, channels, Invert: false));
            Assert.Equal(reader.Images, batch.Pixels);
        }
    }

    [Fact]
    public void NormalisationFollowsThePreparation()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("x.png"), DataFiles.RgbImage(12, 12, (x, y) => new Rgb24((byte)(x * 20), (byte)(y * 20), 200), "png"));
        var files = ImageFiles.Find([dir.File("x.png")]);
        var plain = ImageFiles.Load(files, new ImagePreprocessing(8, 3, false)).Pixels;
        var normalised = ImageFiles.Load(files, new ImagePreprocessing(8, 3, false, [0.5f, 0.25f, 0f], [2f, 0.5f, 1f])).Pixels;
        float[] mean = [0.5f, 0.25f, 0f], std = [2f, 0.5f, 1f];
        for (int i = 0; i < plain.Length; i++) Assert.Equal((plain[i] - mean[i / 64]) / std[i / 64], normalised[i]);
        // Inversion happens before resizing and normalisation: 1 − v on the decoded pixels.
        var inverted = ImageFiles.Load(files, new ImagePreprocessing(12, 3, true)).Pixels;
        var raw = ImageFiles.Load(files, new ImagePreprocessing(12, 3, false)).Pixels;
        for (int i = 0; i < raw.Length; i++) Assert.Equal(1f - raw[i], inverted[i]);
    }

    [Fact]
    public void FoldersAreSearchedRecursivelyInPathOrderSkippingHiddenEntries()
    {
        using var dir = new TempFolder();
        byte[] png = DataFiles.Png(5, 5, (x, y) => (byte)(x * y));
        foreach (string f in new[] { "z.png", "b/c/d.PNG", "b/a.jpg.png", ".hidden.png", ".git/x.png", "__MACOSX/y.png", "b/notes.txt" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(dir.File(f))!);
            File.WriteAllBytes(dir.File(f), png);
        }
        File.WriteAllBytes(dir.File("given.dat"), png);
        var found = ImageFiles.Find([dir.File("given.dat"), dir.Path]);
        Assert.Equal([dir.File("given.dat"), Path.Combine(dir.Path, "b", "a.jpg.png"), Path.Combine(dir.Path, "b", "c", "d.PNG"), Path.Combine(dir.Path, "z.png")], found);
    }

    [Fact]
    public void BadInputsAreOneLineErrorsNamingTheFile()
    {
        using var dir = new TempFolder();
        Directory.CreateDirectory(dir.File("empty"));
        File.WriteAllText(dir.File("bad.png"), "not a png");
        Assert.Equal($"{dir.File("nope")}: no such file or folder",
            Assert.Throws<DatasetFormatException>(() => ImageFiles.Find([dir.File("nope")])).Message);
        Assert.StartsWith($"{dir.File("empty")}: no image files", Assert.Throws<DatasetFormatException>(() => ImageFiles.Find([dir.File("empty")])).Message);
        var corrupt = Assert.Throws<DatasetFormatException>(() => ImageFiles.Load([dir.File("bad.png")], new ImagePreprocessing(28, 1, true)));
        Assert.StartsWith($"{dir.File("bad.png")}: not a PNG, JPEG or BMP image", corrupt.Message);

        // Support folders: one subfolder per class, none of them empty.
        Directory.CreateDirectory(dir.File("support/cat"));
        File.WriteAllBytes(dir.File("support/cat/1.png"), DataFiles.Png(5, 5, (x, y) => 0));
        Directory.CreateDirectory(dir.File("support/dog/sub"));
        Assert.Equal($"{Path.Combine(dir.File("support"), "dog")}: class folder has no images (.png, .jpg, .jpeg, .bmp)",
            Assert.Throws<DatasetFormatException>(() => ImageFiles.ClassFolders(dir.File("support"))).Message);
        File.WriteAllBytes(dir.File("support/dog/sub/2.bmp"), DataFiles.RgbImage(4, 4, (x, y) => default, "bmp"));
        var classes = ImageFiles.ClassFolders(dir.File("support"));
        Assert.Equal(["cat", "dog"], classes.Select(c => c.Class));
        Assert.Equal([dir.File("support/dog/sub/2.bmp")], classes[1].Files);
        Assert.EndsWith("no class folders (expected one subfolder of images per class)",
            Assert.Throws<DatasetFormatException>(() => ImageFiles.ClassFolders(dir.File("empty"))).Message);
    }
}
