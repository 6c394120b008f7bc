using System.Globalization;
using Lshk.Cli.Modeling;
using Lshk.Kernels.Cpu;
using Lshk.Tests.Data;

namespace Lshk.Tests.Cli;

/// <summary>
/// <c>lshk train --loss</c> with each episode loss on real Omniglot (5-way 2-shot 3-query episodes, 2 blocks × 8
/// filters, 60 episodes): the run learns (the mean loss of the last 20 episodes below that of the first 20, training
/// accuracy and validation accuracy above chance) and the model loads with its loss in the metadata.
/// </summary>
public class TrainLossTests
{
    private static readonly string Cache = Path.Combine(Path.GetTempPath(), "lshk-train-tests-cache");

    [Theory]
    [InlineData("proto")]
    [InlineData("matching")]
    [InlineData("cosine-mean")]
    public void EachLossTrainsAModelThatLearns(string loss)
    {
        using var dir = new TempFolder();
        string model = dir.File("model.safetensors"), log = dir.File("run.csv");
        var (code, output, error) = CliRunner.Run(
        [
            "train", "--data", "omniglot:" + DataFiles.OmniglotFolder, "--cache-dir", Cache, "--ways", "5", "--shots", "2",
            "--queries", "3", "--layers", "2", "--filters", "8", "--episodes", "60", "--loss", loss, "--lr", "0.003",
            "--validate-every", "60", "--validation-episodes", "30", "--log", log, "--log-every", "20", "--summary-episodes", "0",
            "--checkpoint-every", "0", "--out", model,
        ]);
        Assert.True(code == 0, error);
        Assert.Contains($"loss {loss}", output);

        // episode,seconds,lr,loss,train_accuracy,…: one row per 20 episodes, each the interval's means
        var rows = File.ReadAllLines(log).Skip(1).Select(r => r.Split(',')).ToArray();
        Assert.Equal(3, rows.Length);
        double Value(string[] row, int column) => double.Parse(row[column], CultureInfo.InvariantCulture);
        Assert.True(Value(rows[^1], 3) < Value(rows[0], 3), $"loss did not fall: {Value(rows[0], 3)} → {Value(rows[^1], 3)}");
        Assert.InRange(Value(rows[^1], 4), 0.4, 1.0); // 5-way: chance is 0.2

        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(model, backend);
        Assert.Equal(loss, embedder.Metadata["lshk.train.loss"]);
        // the mean of 5-way and 20-way 1-shot validation accuracy; chance is (20% + 5%) / 2
        Assert.InRange(double.Parse(embedder.Metadata["lshk.train.validation_accuracy"], CultureInfo.InvariantCulture), 0.3, 1.0);
    }
}
