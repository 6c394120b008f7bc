using Lshk.Data;
using Lshk.Data.Datasets;
using Lshk.Data.Sources;
using Lshk.Tests.Cli;

namespace Lshk.Tests.Data;

/// <summary>
/// Fashion-MNIST from the official IDX files that Debian's dataset-fashion-mnist package installs (CI installs it):
/// found without a path, read with its published counts and class names, split 0–4 / 5–9.
/// </summary>
public sealed class FashionMnistTests
{
    [Fact]
    public void TheDebianFilesAreFoundAndReadWithTheirPublishedShape()
    {
        Assert.True(Directory.Exists(FashionMnistDataset.DebianFolder), "install the dataset-fashion-mnist package (.ci/run does)");
        var locations = new DataLocations(null, null);
        Assert.Equal(FashionMnistDataset.DebianFolder, locations.Resolve(DatasetSpec.Parse("fashion-mnist")));
        Assert.Same(DatasetRegistry.Get("fashion-mnist"), DatasetRegistry.Get("FashionMNIST"));

        var loader = new DatasetLoader(locations, cache: null);
        var parts = loader.LoadAll(DatasetSpec.Parse("fashion-mnist"), PreprocessSettings.Default);
        var train = parts.Single(p => p.Name == "train").Data;
        var test = parts.Single(p => p.Name == "test").Data;
        // The published sizes: 60,000 training and 10,000 test images, 6,000 and 1,000 per class.
        Assert.Equal((60000, 10000), (train.Count, test.Count));
        Assert.Equal((1, 28, 28), (train.Channels, train.Height, train.Width));
        for (int c = 0; c < 10; c++)
        {
            Assert.Equal(6000, train.Labels.Count(l => l == c));
            Assert.Equal(1000, test.Labels.Count(l => l == c));
        }
        // The dataset's README: label 9 is "Ankle boot", the class of the first image of both halves.
        Assert.Equal("Ankle boot", train.ClassNames[9]);
        Assert.Equal(9, train.Labels[0]);
        Assert.Equal(9, test.Labels[0]);

        // Pixels are the file's bytes / 255: image 0 read straight from the gzipped IDX file (16-byte header).
        using (var gz = new System.IO.Compression.GZipStream(File.OpenRead(Path.Combine(FashionMnistDataset.DebianFolder, "train-images-idx3-ubyte.gz")),
                   System.IO.Compression.CompressionMode.Decompress))
        {
            var bytes = new byte[16 + 784];
            gz.ReadExactly(bytes);
            Assert.Equal(bytes.Skip(16).Select(b => b / 255f), train.Image(0).ToArray());
        }

        var few = loader.LoadFewShot(DatasetSpec.Parse("fashion-mnist"), PreprocessSettings.Default, new SplitOptions());
        Assert.Equal(["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat"], few.Train!.ClassNames);
        Assert.Equal(["Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"], few.Test.ClassNames);
    }

    [Fact]
    public void DataGetUsesTheInstalledCopy()
    {
        var (code, output, error) = CliRunner.Run("data", "get", "fashion-mnist");
        Assert.True(code == 0, error);
        Assert.Contains(FashionMnistDataset.DebianFolder, output);
        Assert.Contains("nothing to download", output);
    }
}
