using Lshk.App.Modeling;
using Lshk.Data.Imaging;
using Lshk.Data.Npy;
using Lshk.Kernels.Cpu;

namespace Lshk.Tests.Cli;

public class EmbedCommandTests
{
    [Fact]
    public void WritesEmbeddingsAndThePathsInRowOrder()
    {
        using var dir = new TempFolder();
        ClassifyTestModels.ExtractEvaluation(dir.File("images"), characters: 3, drawings: 2);
        string model = ClassifyTestModels.SaveRandom(dir.File("m.safetensors"), ClassifyTestModels.Omniglot);
        string single = Directory.GetFiles(Directory.GetDirectories(Directory.GetDirectories(dir.File("images"))[0])[0])[0];
        var (code, _, err) = CliRunner.Run("embed", "--model", model, single, dir.File("images"), "--out", dir.File("e.npy"), "--device", "cpu");
        Assert.True(code == 0, err);
        var (x, rows, cols) = NpyFile.ReadFloat32Matrix(dir.File("e.npy"));
        string[] paths = File.ReadAllLines(dir.File("e.txt"));
        var expectedPaths = ImageFiles.Find([single, dir.File("images")]);
        Assert.Equal(expectedPaths, paths);
        Assert.Equal(7, rows);

        // Independently: load the model, prepare the files, embed.
        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(model, backend);
        Assert.Equal(embedder.Dim, cols);
        var batch = ImageFiles.Load(expectedPaths, ClassifyTestModels.Omniglot);
        Assert.Equal(embedder.Embed(batch.Pixels, 7), x);
        // The file given alone and the same file found in the folder embed identically.
        int again = Array.IndexOf(paths, single, 1);
        Assert.True(again > 0);
        Assert.Equal(x.AsSpan(0, cols).ToArray(), x.AsSpan(again * cols, cols).ToArray());

        // --paths puts the list elsewhere.
        Assert.Equal(0, CliRunner.Run("embed", "--model", model, single, "--out", dir.File("one.npy"), "--paths", dir.File("list"), "--device", "cpu").Code);
        Assert.Equal([single], File.ReadAllLines(dir.File("list")));
    }

    [Fact]
    public void BadInputsAreOneLineErrors()
    {
        using var dir = new TempFolder();
        string model = ClassifyTestModels.SaveRandom(dir.File("m.safetensors"), ClassifyTestModels.Omniglot);
        File.WriteAllText(dir.File("x.png"), "garbage");
        var (code, _, err) = CliRunner.Run("embed", "--model", model, dir.File("x.png"), "--out", dir.File("e.npy"));
        Assert.Equal(1, code);
        Assert.Equal($"lshk: error: {dir.File("x.png")}: not a PNG, JPEG or BMP image", err.Trim());
        (code, _, err) = CliRunner.Run("embed", "--model", dir.File("none.safetensors"), dir.File("x.png"), "--out", dir.File("e.npy"));
        Assert.Equal(1, code);
        Assert.Equal($"lshk: error: {dir.File("none.safetensors")}: model file not found", err.Trim());
        Assert.False(File.Exists(dir.File("e.npy")));
    }
}
