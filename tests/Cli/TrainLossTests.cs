using System.Globalization;
using Lshk.App.Modeling;
using Lshk.Data.Datasets;
using Lshk.Data.Imaging;
using Lshk.Kernels.Cpu;
using Lshk.Tests.Data;

namespace Lshk.Tests.Cli;

/// <summary>
/// <c>lshk train --loss</c> with each episode loss on real Omniglot (5-way 2-shot 3-query episodes, 2 blocks × 8
/// filters, 300 episodes): the run learns (the mean loss of the last 100 episodes below that of the first 100, training
/// accuracy above chance, validation accuracy clearly above the untrained network's) and the model loads with its loss
/// in the metadata.
/// </summary>
public class TrainLossTests(ITestOutputHelper testLog)
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
            "--queries", "3", "--layers", "2", "--filters", "8", "--episodes", "300", "--loss", loss, "--lr", "0.003",
            "--validate-every", "300", "--validation-episodes", "30", "--log", log, "--log-every", "100", "--summary-episodes", "0",
            "--checkpoint-every", "0", "--out", model,
            // The paper's schedule and no augmentation, as measured below: Omniglot's defaults (cosine, random affine)
            // suit long runs, and over 300 episodes they leave proto within noise of the untrained network.
            "--lr-schedule", TrainingDefaults.PaperSchedule, "--augment", "none",
        ]);
        Assert.True(code == 0, error);
        Assert.Contains($"loss {loss}", output);

        // episode,seconds,lr,loss,train_accuracy,…: one row per 100 episodes, each the interval's means
        var rows = File.ReadAllLines(log).Skip(1).Select(r => r.Split(',')).ToArray();
        Assert.Equal(3, rows.Length);
        double Value(string[] row, int column) => double.Parse(row[column], CultureInfo.InvariantCulture);
        Assert.True(Value(rows[^1], 3) < Value(rows[0], 3), $"loss did not fall: {Value(rows[0], 3)} → {Value(rows[^1], 3)}");
        Assert.InRange(Value(rows[^1], 4), 0.4, 1.0); // 5-way: chance is 0.2

        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(model, backend);
        Assert.Equal(loss, embedder.Metadata["lshk.train.loss"]);
        // The mean of 5-way and 20-way 1-shot validation accuracy; chance is (20% + 5%) / 2, the untrained network 52.3%.
        // Measured after 300 episodes: proto 57.7% (it optimises Euclidean distance, validation scores cosine), matching
        // 69.5%; after 60 episodes proto had gained only 2 points, too little to tell from noise.
        double validation = double.Parse(embedder.Metadata["lshk.train.validation_accuracy"], CultureInfo.InvariantCulture);
        double untrained = UntrainedValidation.Score(TrainCommandTests.TinyRequest() with { Loss = loss }, Cache);
        testLog.WriteLine($"{loss}: validation untrained {untrained:P2}, after 300 episodes {validation:P2}");
        Assert.True(validation >= untrained + TrainCommandTests.TrainedMargin, $"validation {validation:P2} is not clearly above the untrained network's {untrained:P2}");
    }
}
