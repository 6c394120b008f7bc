using System.Globalization;
using Lshk.App.Modeling;
using Lshk.Data;
using Lshk.Data.Datasets;
using Lshk.Data.Sources;
using Lshk.Kernels.Cpu;

namespace Lshk.Tests.Cli;

/// <summary>
/// The dataset extension point: a reader registered through <see cref="DatasetRegistry"/> (its own class, one
/// registration) is trained on and evaluated by the unchanged commands, with its own training defaults.
/// </summary>
public class ToyDatasetTests
{
    /// <summary>
    /// A toy dataset: PATH is a text file naming one class per line; class c's images are a bright square at a position
    /// of its own, shifted by a pixel or two per image, so a network can tell classes apart.
    /// </summary>
    private sealed class ToyDataset : DatasetKind
    {
        public const int ImagesPerClass = 8;
        private const int Square = 5;

        public override string Id => "toy";
        public override bool NeedsPath => true;
        // Defaults of its own, unlike any built-in dataset's, so the test can tell they were used.
        public override TrainingDefaults Defaults { get; } = new(Ways: 3, Shots: 1, Queries: 2, ImageSize: 16, ValidationClasses: 0);

        public override IReadOnlyList<DatasetPart> Parts(string root) => [new("all", [root], settings => Read(root, settings))];

        private static Dataset Read(string path, PreprocessSettings settings)
        {
            string[] classes = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).ToArray();
            int size = settings.Size == 0 ? 16 : settings.Size, plane = size * size, count = classes.Length * ImagesPerClass;
            var images = new float[count * plane];
            var labels = new int[count];
            for (int c = 0; c < classes.Length; c++)
                for (int i = 0; i < ImagesPerClass; i++)
                {
                    int item = c * ImagesPerClass + i;
                    labels[item] = c;
                    int top = (c * 3 + i % 2) % (size - Square), left = (c * 7 + i / 2 % 2) % (size - Square);
                    for (int y = top; y < top + Square; y++)
                        for (int x = left; x < left + Square; x++) images[item * plane + y * size + x] = 1f;
                }
            return new Dataset(images, count, 1, size, size, labels, classes, null, path);
        }
    }

    private static readonly ToyDataset Toy = new();

    [Fact]
    public void ARegisteredReaderTrainsWithItsDefaultsAndEvaluates()
    {
        DatasetRegistry.Register(Toy);
        using var dir = new TempFolder();
        string classes = dir.File("classes.txt"), model = dir.File("toy.safetensors"), csv = dir.File("eval.csv");
        File.WriteAllLines(classes, Enumerable.Range(0, 10).Select(c => $"shape{c}"));

        var (code, output, error) = CliRunner.Run("train", "--data", "toy:" + classes, "--episodes", "4", "--layers", "2", "--filters", "4",
            "--validate-every", "0", "--checkpoint-every", "0", "--summary-episodes", "0", "--no-cache", "--device", "cpu", "--out", model);
        Assert.True(code == 0, error);
        // 10 classes: the generic default split trains on 6 and tests on 4.
        Assert.Contains("train 6 classes / 48 images", output);

        using (var backend = new CpuBackend())
        using (var embedder = Embedder.Load(model, backend))
        {
            var m = embedder.Metadata;
            Assert.Equal("toy", m[MetadataKeys.Data]);
            Assert.Equal("3", m[MetadataKeys.Train.Ways]);
            Assert.Equal("1", m[MetadataKeys.Train.Shots]);
            Assert.Equal("2", m[MetadataKeys.Train.Queries]);
            Assert.Equal(16, embedder.Config.InputSize);
            Assert.Equal("false", m[MetadataKeys.Preprocess.Invert]);
        }

        (code, _, error) = CliRunner.Run("eval", "--model", model, "--data", "toy:" + classes, "--ways", "2", "--shots", "1", "--planes", "16",
            "--hash", "gaussian", "--episodes", "5", "--queries", "3", "--no-cache", "--device", "cpu", "--csv", csv);
        Assert.True(code == 0, error);
        string[] rows = File.ReadAllLines(csv);
        Assert.Equal(1 + 6, rows.Length); // a header, then one row per method (16 Gaussian planes)
        int accuracyColumn = Array.IndexOf(rows[0].Split(','), "accuracy");
        Assert.All(rows.Skip(1), r => Assert.InRange(double.Parse(r.Split(',')[accuracyColumn], CultureInfo.InvariantCulture), 0, 100));
    }
}
