using System.Text.Json;
using Lshk.Data.Npy;
using Lshk.Kernels.Nn.Cpu;
using Lshk.Nn;
using Lshk.Nn.ModelFiles;
using Lshk.Tests.Cli;

namespace Lshk.Tests.Nn;

/// <summary><c>lshk bench train</c> end to end at a small size: JSON result, export, and bad options.</summary>
public class BenchTrainCommandTests
{
    private static readonly string[] Small =
        ["bench", "train", "--device", "cpu", "--batch", "12", "--shots", "2", "--queries", "1", "--steps", "2", "--warmup", "1",
         "--blocks", "2", "--filters", "8", "--size", "12"];

    [Fact]
    public void WritesTheResultAndAnExportThatReloadsToTheSameEmbeddings()
    {
        using var dir = new TempFolder();
        string json = dir.File("train.json");
        var (code, output, error) = CliRunner.Run([.. Small, "--json", json, "--export", dir.Path]);
        Assert.True(code == 0, error);
        Assert.Contains("images/s", output);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.Equal(12, root.GetProperty("batch").GetInt32());
        Assert.Equal(4, root.GetProperty("ways").GetInt32());
        Assert.True(root.GetProperty("imagesPerSecond").GetDouble() > 0);
        Assert.True(root.GetProperty("peakWorkingSetBytes").GetInt64() > 0);

        // the exported model, loaded again, reproduces the exported embeddings of the exported images
        using var ops = new CpuNnOps(threads: 1);
        var (net, config, metadata) = ModelFile.Load(dir.File("model.safetensors"), ops);
        using var _ = net;
        Assert.Equal(3, ((Lshk.Nn.Layers.BatchNorm2d)net.Layers[1]).NumBatchesTracked); // warm-up + 2 timed steps
        Assert.Contains("random images", metadata["lshk.dataset"]);
        float[] images = NpyFile.Read(dir.File("images.npy")).AsFloat32();
        float[] embeddings = NpyFile.Read(dir.File("embeddings.npy")).AsFloat32();
        using var x = ops.Allocate(images.Length);
        x.CopyFrom(images);
        float[] again = net.Forward(x, ConvNet.InputShape(config, 12), training: false).ToArray();
        Assert.Equal(embeddings, again);
    }

    [Theory]
    [InlineData("--batch", "13", "must be a multiple of --shots + --queries = 3", 2)]   // usage: the options contradict each other
    [InlineData("--blocks", "9", "(block 4 gets 1×1)", 1)]                              // input: a network the images can't feed
    [InlineData("--steps", "0", "--steps must be at least 1", 2)]
    public void BadOptionsAreOneLineErrors(string option, string value, string expected, int exitCode)
    {
        string[] args = [.. Small];
        int at = Array.IndexOf(args, option);
        args[at + 1] = value;
        var (code, _, error) = CliRunner.Run(args);
        Assert.Equal(exitCode, code);
        Assert.Contains(expected, error);
        Assert.Single(error.Trim().Split('\n'));
    }
}
