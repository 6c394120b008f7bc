using Lshk.App.Modeling;
using Lshk.Data.Imaging;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Random;
using Lshk.Nn;

namespace Lshk.Tests.Cli;

/// <summary>
/// Embeddings under test-time views (<see cref="TestTimeViews"/>): the mean of the image's embedding and its distorted
/// copies', computed here independently (each copy warped by hand and embedded alone, the mean in double), and an
/// image's embedding depending on that image alone.
/// </summary>
public class TestTimeViewsTests
{
    private static readonly ConvNetConfig Config = new(Blocks: 3, Filters: 8);

    [Fact]
    public void AViewedEmbeddingIsTheMeanOverTheDistortedCopies()
    {
        using var dir = new TempFolder();
        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(EmbedderTests.SaveRandomModel(dir, Config), backend);
        const int n = 5, length = 28 * 28, views = 4;
        float[] images = RandomArrays.Gaussian(n * length, 7);
        float[] plain = embedder.Embed(images, n);
        var asked = TestTimeViews.Parse(views, "shift:2,rotate:20");
        embedder.Views = asked;
        float[] viewed = embedder.Embed(images, n);

        int d = Config.EmbeddingDim;
        var expected = new double[n * d];
        for (int i = 0; i < n * d; i++) expected[i] = plain[i];
        embedder.Views = null;
        for (int v = 1; v < views; v++)
            for (int i = 0; i < n; i++)
            {
                var copy = new float[length];
                asked.Transform(v).Warp(images.AsSpan(i * length, length), copy, 1, 28, 28);
                float[] e = embedder.Embed(copy, 1);
                for (int j = 0; j < d; j++) expected[i * d + j] += e[j];
            }
        double differs = 0;
        for (int i = 0; i < n * d; i++)
        {
            Assert.Equal(expected[i] / views, viewed[i], 1e-4);
            differs = Math.Max(differs, Math.Abs(viewed[i] - plain[i]));
        }
        Assert.True(differs > 1e-3, "the views changed nothing: the copies were not distorted");
    }

    [Fact]
    public void AnImagesViewedEmbeddingDoesNotDependOnItsBatch()
    {
        using var dir = new TempFolder();
        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(EmbedderTests.SaveRandomModel(dir, Config), backend);
        embedder.Views = TestTimeViews.Parse(3, null);
        const int n = 6, length = 28 * 28;
        float[] images = RandomArrays.Gaussian(n * length, 8);
        float[] all = embedder.Embed(images, n, batch: 4);
        float[] alone = embedder.Embed(images.AsSpan(3 * length, length), 1);
        int d = Config.EmbeddingDim;
        for (int j = 0; j < d; j++) Assert.Equal(all[3 * d + j], alone[j], 1e-5f);
    }

    [Theory]
    [InlineData(0, null, "1 to 256")]
    [InlineData(257, null, "1 to 256")]
    [InlineData(4, "none", "need a distortion")]
    [InlineData(4, "tilt:3", "'tilt:3'")]
    public void BadViewsAreOneLineErrors(int count, string? distortion, string expected)
    {
        var e = Assert.Throws<FormatException>(() => TestTimeViews.Parse(count, distortion));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void OneViewIsTheImageAlone()
    {
        var views = TestTimeViews.Parse(1, null);
        Assert.Equal("1", views.Describe());
        Assert.Throws<ArgumentOutOfRangeException>(() => views.Transform(1));
        Assert.StartsWith("16 × shift:1.5,", TestTimeViews.Parse(16, null).Describe());
        // every view has its own transform, the same on every call
        var many = TestTimeViews.Parse(8, null);
        Assert.Equal(many.Transform(3), many.Transform(3));
        Assert.Equal(7, Enumerable.Range(1, 7).Select(many.Transform).Distinct().Count());
    }
}
