using Lshk.Data.Imaging;

namespace Lshk.Tests.Data;

/// <summary>Area resizing and rotations against hand-computed cases and their defining properties.</summary>
public class ImagingTests
{
    private static float[] Resize(float[] src, int h, int w, int oh, int ow, int channels = 1)
    {
        var dst = new float[channels * oh * ow];
        new AreaResize(h, w, oh, ow).Apply(src, channels, dst);
        return dst;
    }

    [Fact]
    public void HalvingAveragesTwoByTwoBlocks()
    {
        float[] src = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
        Assert.Equal([3.5f, 5.5f, 11.5f, 13.5f], Resize(src, 4, 4, 2, 2));
    }

    [Fact]
    public void ThreeToTwoWeighsPartialPixels()
    {
        // Output 0 covers inputs [0, 1.5): weights 1 and 0.5 over 1.5; output 1 covers [1.5, 3).
        float[] row = [3, 6, 9];
        var r = Resize(row, 1, 3, 1, 2);
        Assert.Equal((3 * 1 + 6 * 0.5f) / 1.5f, r[0], 5);
        Assert.Equal((6 * 0.5f + 9 * 1) / 1.5f, r[1], 5);
    }

    [Fact]
    public void ShrinkingKeepsTheMeanAndConstants()
    {
        var random = new Random(5);
        var src = Enumerable.Range(0, 2 * 105 * 105).Select(_ => (float)random.NextDouble()).ToArray();
        var dst = Resize(src, 105, 105, 28, 28, channels: 2);
        for (int c = 0; c < 2; c++)
            Assert.Equal(src.Skip(c * 105 * 105).Take(105 * 105).Average(), dst.Skip(c * 784).Take(784).Average(), 4);
        Assert.All(Resize(Enumerable.Repeat(0.7f, 35 * 20).ToArray(), 35, 20, 28, 28), v => Assert.Equal(0.7f, v, 5));
    }

    [Fact]
    public void EnlargingInterpolatesBetweenCentres()
    {
        // 2 → 4: output centres at input coordinates -0.25, 0.25, 0.75, 1.25 → clamped, ¾·a+¼·b, ¼·a+¾·b, clamped.
        var r = Resize([0f, 8f], 1, 2, 1, 4);
        Assert.Equal([0f, 2f, 6f, 8f], r);
    }

    [Fact]
    public void RotationsTurnCounterClockwiseAndFourMakeIdentity()
    {
        float[] img = [1, 2, 3, 4, 5, 6, 7, 8, 9];   // rows 1 2 3 / 4 5 6 / 7 8 9
        var once = new float[9];
        Rotation.Rotate(img, 1, 3, 1, once);
        Assert.Equal([3, 6, 9, 2, 5, 8, 1, 4, 7], once);   // numpy.rot90
        var half = new float[9];
        Rotation.Rotate(img, 1, 3, 2, half);
        Assert.Equal(img.Reverse(), half);
        var back = (float[])img.Clone();
        for (int t = 0; t < 4; t++) { var next = new float[9]; Rotation.Rotate(back, 1, 3, 1, next); back = next; }
        Assert.Equal(img, back);
        var three = new float[9];
        Rotation.Rotate(img, 1, 3, 3, three);
        var threeOnce = new float[9];
        Rotation.Rotate(half, 1, 3, 1, threeOnce);
        Assert.Equal(threeOnce, three);
    }
}
