using Lshk.App.Modeling;
using Lshk.Data.Npy;
using Lshk.Kernels.Cpu;
using Lshk.Tests.Data;
using SixLabors.ImageSharp.PixelFormats;

namespace Lshk.Tests.Cli;

/// <summary>
/// Per-dataset training defaults and native sizes through the CLI: CIFAR-10 (binary files in the official layout,
/// written here) trains at 32×32 RGB unless <c>--size</c> says otherwise, and the model's metadata, embedding size and
/// eval/embed follow; MNIST (the real test half) trains with its defaults, which are 5-way, not the 60-way that
/// 5 training digits cannot make.
/// </summary>
public sealed class DatasetDefaultsTrainTests : IDisposable
{
    private const int Filters = 8;
    /// <summary>Images per class in the data batches and in the test batch: enough for 1-shot 2-query episodes.</summary>
    private const int TrainPerClass = 4, TestPerClass = 3;

    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>cifar-10-batches-bin/ with 5 data batches and a test batch; labels cycle 0…9 so every class has images in each.</summary>
    private string WriteCifar10()
    {
        string root = _tmp.File("cifar"), folder = Path.Combine(root, "cifar-10-batches-bin");
        Directory.CreateDirectory(folder);
        int perBatch = 10 * TrainPerClass / 5 + 10; // 5 batches: 18 records each covers every class at least once
        for (int b = 1; b <= 5; b++)
            File.WriteAllBytes(Path.Combine(folder, $"data_batch_{b}.bin"),
                Enumerable.Range(0, perBatch).SelectMany(r => DataFiles.CifarRecord(b * 100 + r, (byte)(r % 10))).ToArray());
        File.WriteAllBytes(Path.Combine(folder, "test_batch.bin"),
            Enumerable.Range(0, 10 * TestPerClass).SelectMany(r => DataFiles.CifarRecord(900 + r, (byte)(r % 10))).ToArray());
        return root;
    }

    private string[] Train(string data, string model, params string[] more) =>
    [
        "train", "--data", data, "--cache-dir", _tmp.File("cache"), "--layers", "4", "--filters", $"{Filters}", "--episodes", "3",
        "--validate-every", "0", "--checkpoint-every", "0", "--summary-episodes", "0", "--out", model, .. more,
    ];

    [Fact]
    public void Cifar10TrainsAtNative32x32RgbAndEvalAndEmbedUseThatSize()
    {
        string data = "cifar10:" + WriteCifar10(), model = _tmp.File("cifar.safetensors");
        var (code, output, error) = CliRunner.Run(Train(data, model, "--shots", "1", "--queries", "2"));
        Assert.True(code == 0, error);
        Assert.Contains("input 3×32×32", output);

        using var backend = new CpuBackend();
        using (var embedder = Embedder.Load(model, backend))
        {
            var m = embedder.Metadata;
            // 32 → 16 → 8 → 4 → 2 over four blocks: 8 filters × 2 × 2.
            Assert.Equal(("32", "3", "32"), (m["lshk.input_size"], m["lshk.input_channels"], m["lshk.embedding_dim"]));
            Assert.Equal(("32", "3"), (m["lshk.preprocess.size"], m["lshk.preprocess.channels"]));
            Assert.Equal(Filters * 2 * 2, embedder.Dim);
            Assert.Equal("5", m["lshk.train.ways"]); // CIFAR-10's default: its 5 training classes
        }

        // eval reads the test classes at the model's size (28×28 would be refused as a mismatch).
        (code, output, error) = CliRunner.Run("eval", "--model", model, "--data", data, "--cache-dir", _tmp.File("cache"), "--ways", "5",
            "--shots", "1", "--queries", "2", "--planes", "16", "--episodes", "4");
        Assert.True(code == 0, error);
        Assert.Contains("5-way 1-shot", output);

        // embed prepares an image file as the training images were: a 40×40 RGB picture becomes one 32-d embedding.
        string picture = _tmp.File("picture.png"), embeddings = _tmp.File("e.npy");
        File.WriteAllBytes(picture, DataFiles.RgbImage(40, 40, (x, y) => new Rgb24((byte)(x * 6), (byte)(y * 6), 90), "png"));
        (code, _, error) = CliRunner.Run("embed", "--model", model, picture, "--out", embeddings);
        Assert.True(code == 0, error);
        var (values, rows, cols) = NpyFile.ReadFloat32Matrix(embeddings);
        Assert.Equal((1, Filters * 2 * 2), (rows, cols));
        Assert.All(values, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void SizeOverridesTheDatasetDefault()
    {
        string data = "cifar10:" + WriteCifar10(), model = _tmp.File("cifar28.safetensors");
        var (code, _, error) = CliRunner.Run(Train(data, model, "--shots", "1", "--queries", "2", "--size", "28"));
        Assert.True(code == 0, error);
        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(model, backend);
        // 28 → 14 → 7 → 3 → 1: 8 filters × 1 × 1; still the data's 3 channels.
        Assert.Equal(("28", "3", "8"), (embedder.Metadata["lshk.input_size"], embedder.Metadata["lshk.input_channels"], embedder.Metadata["lshk.embedding_dim"]));
    }

    [Fact]
    public void MnistTrainsWithItsDefaults()
    {
        string model = _tmp.File("mnist.safetensors");
        var (code, output, error) = CliRunner.Run(Train("mnist:" + DataFiles.MnistFolder, model));
        Assert.True(code == 0, error);
        Assert.Contains("(0-4/5-9)", output); // the digit split
        Assert.Contains("5-way 5-shot 15-query", output);
        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(model, backend);
        Assert.Equal(("5", "5", "15", "28"), (embedder.Metadata["lshk.train.ways"], embedder.Metadata["lshk.train.shots"],
            embedder.Metadata["lshk.train.queries"], embedder.Metadata["lshk.input_size"]));
    }

    [Fact]
    public void FiltersAndTheLastPoolFollowTheDatasetUnlessGiven()
    {
        // Omniglot trains a wider Conv-4 by default (bench/RESULTS.md, "Session 19") whose last map is averaged over its
        // positions (Session 27); MNIST keeps the paper's 64 filters and 2×2 pool.
        string omniglot = _tmp.File("omniglot-default.safetensors"), mnist = _tmp.File("mnist-default.safetensors");
        string[] shortRun = ["--episodes", "2", "--validate-every", "0", "--checkpoint-every", "0", "--summary-episodes", "0", "--hash-bits", "0"];
        var run = CliRunner.Run(["train", "--data", "omniglot:" + DataFiles.OmniglotFolder, "--cache-dir", _tmp.File("cache"), "--ways", "5",
            "--shots", "1", "--queries", "2", "--layers", "2", "--out", omniglot, .. shortRun]);
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("conv2: 2×[conv3x3(128)", run.Out);
        run = CliRunner.Run(["train", "--data", "mnist:" + DataFiles.MnistFolder, "--cache-dir", _tmp.File("cache"), "--layers", "2",
            "--out", mnist, .. shortRun]);
        Assert.True(run.Code == 0, run.Err);

        using var backend = new CpuBackend();
        foreach (var (model, filters, averaged) in new[] { (omniglot, 128, true), (mnist, 64, false) })
        {
            using var embedder = Embedder.Load(model, backend);
            Assert.Equal($"{filters}", embedder.Metadata["lshk.filters"]);
            Assert.Equal(averaged, embedder.Config.GlobalAverage);
            // Two blocks on 28×28: 28 → 14 → 7, so the embedding is filters × 7 × 7, or the 7 × 7 map averaged.
            Assert.Equal(averaged ? filters : filters * 7 * 7, embedder.Dim);
        }
    }

    [Fact]
    public void HelpStatesTheDefaultsOfEachDataset()
    {
        var (code, output, _) = CliRunner.Run("train", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--size", output);
        string flat = string.Join(" ", output.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("omniglot 60, mnist 5, fashion-mnist 5, cifar10 5, cifar100 20", flat);
        Assert.Contains("omniglot 28, mnist 28, fashion-mnist 28, cifar10 32, cifar100 32", flat);
        Assert.Contains("Filters per conv (default omniglot 128, mnist 64, fashion-mnist 64, cifar10 64, cifar100 64", flat);
        Assert.Contains("(default omniglot 3, mnist 1, fashion-mnist 1, cifar10 1, cifar100 1", flat);
        Assert.Contains("(default omniglot 0.15, mnist 0, fashion-mnist 0, cifar10 0, cifar100 0", flat);
        Assert.Contains("(default omniglot average, mnist on, fashion-mnist on, cifar10 on, cifar100 on", flat);
    }
}
