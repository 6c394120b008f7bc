using Lshk.Data.Imaging;

namespace Lshk.Tests.Data;

/// <summary>
/// The random affine augmentation against hand expectations: integer shifts move pixels exactly and extend the border,
/// a quarter turn is the exact 90° rotation, bilinear resampling reproduces a linear ramp through scale and shear, the
/// draws are seeded, independent per episode and image, and stay within their limits, and bad limits are one-line errors.
/// </summary>
public class RandomAffineTests
{
    private static float[] Distinct(int channels, int height, int width) =>
        Enumerable.Range(0, channels * height * width).Select(i => (float)(i * 7 % 23) + 0.25f * i).ToArray();

    [Fact]
    public void AnIntegerShiftMovesEveryPixelAndExtendsTheBorder()
    {
        const int channels = 2, height = 4, width = 5;
        float[] source = Distinct(channels, height, width), moved = new float[source.Length];
        new AffineTransform(Angle: 0, Scale: 1, Shear: 0, ShiftX: 1, ShiftY: -1).Warp(source, moved, channels, height, width);
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    // the content moves right by 1 and up by 1: (x, y) shows source (x − 1, y + 1), clamped to the image
                    int sx = Math.Clamp(x - 1, 0, width - 1), sy = Math.Clamp(y + 1, 0, height - 1);
                    Assert.Equal(source[(c * height + sy) * width + sx], moved[(c * height + y) * width + x]);
                }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    public void AQuarterTurnIsTheExactRotation(int size)
    {
        float[] source = Distinct(1, size, size), turned = new float[source.Length], exact = new float[source.Length];
        new AffineTransform(Math.PI / 2, 1, 0, 0, 0).Warp(source, turned, 1, size, size);
        // y points down, so a positive angle turns clockwise on screen: three counter-clockwise quarter turns
        Rotation.Rotate(source, 1, size, 3, exact);
        for (int i = 0; i < exact.Length; i++) Assert.Equal(exact[i], turned[i], 1e-4f);
    }

    [Fact]
    public void BilinearResamplingReproducesALinearRampThroughScaleAndShear()
    {
        const int size = 15;
        const double scale = 1.25, shear = 0.2;
        double centre = (size - 1) / 2.0;
        // f(x, y) = 2x + 3y + 1: bilinear interpolation is exact on it wherever no clamping happens
        float[] ramp = new float[size * size], warped = new float[ramp.Length];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) ramp[y * size + x] = 2 * x + 3 * y + 1;
        new AffineTransform(0, scale, shear, 0, 0).Warp(ramp, warped, 1, size, size);
        int checkedPixels = 0;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                // A = [[s, s·shear], [0, s]], so A⁻¹(r) = (rx/s − shear·ry/s, ry/s)
                double rx = x - centre, ry = y - centre;
                double px = centre + rx / scale - shear * ry / scale, py = centre + ry / scale;
                if (px < 0 || px > size - 1 || py < 0 || py > size - 1) continue;
                Assert.Equal(2 * px + 3 * py + 1, warped[y * size + x], 1e-3);
                checkedPixels++;
            }
        Assert.True(checkedPixels > size * size / 2, $"only {checkedPixels} pixels inside");
    }

    [Fact]
    public void DrawsAreSeededIndependentAndWithinTheirLimits()
    {
        var affine = new RandomAffine(ShiftPixels: 1.5f, RotationDegrees: 10, ScaleFraction: 0.1f, Shear: 0.2f);
        Assert.Equal(affine.Draw(7, 3, 5), affine.Draw(7, 3, 5));
        Assert.NotEqual(affine.Draw(7, 3, 5), affine.Draw(7, 4, 5));
        Assert.NotEqual(affine.Draw(7, 3, 5), affine.Draw(7, 3, 6));
        Assert.NotEqual(affine.Draw(7, 3, 5), affine.Draw(8, 3, 5));

        var draws = Enumerable.Range(0, 2000).Select(i => affine.Draw(1, i / 100, i % 100)).ToArray();
        void Covers(Func<AffineTransform, double> part, double low, double high, string name)
        {
            double min = draws.Min(part), max = draws.Max(part);
            Assert.True(min >= low && max < high, $"{name} drawn in [{min}, {max}], outside [{low}, {high})");
            // 2,000 uniform draws come within 1 % of both ends with overwhelming probability
            double span = high - low;
            Assert.True(min < low + 0.01 * span && max > high - 0.01 * span, $"{name} drawn only in [{min}, {max}]");
        }
        Covers(t => t.Angle, -10 * Math.PI / 180, 10 * Math.PI / 180, "angle");
        Covers(t => t.Scale, 0.9, 1.1, "scale");
        Covers(t => t.Shear, -0.2, 0.2, "shear");
        Covers(t => t.ShiftX, -1.5, 1.5, "shift x");
        Covers(t => t.ShiftY, -1.5, 1.5, "shift y");
        // the five parts are drawn independently: shift x and shift y are uncorrelated
        double meanX = draws.Average(t => t.ShiftX), meanY = draws.Average(t => t.ShiftY);
        double correlation = draws.Sum(t => (t.ShiftX - meanX) * (t.ShiftY - meanY)) /
                             Math.Sqrt(draws.Sum(t => Math.Pow(t.ShiftX - meanX, 2)) * draws.Sum(t => Math.Pow(t.ShiftY - meanY, 2)));
        Assert.True(Math.Abs(correlation) < 0.1, $"shift x and y correlate: {correlation}");
    }

    [Theory]
    [InlineData("none", null)]
    [InlineData(" None ", null)]
    [InlineData("shift:0,rotate:0", null)]
    [InlineData("rotate:10,shift:1", "shift:1,rotate:10")]
    [InlineData("shift:1,rotate:10,scale:0.1,shear:0.1", "shift:1,rotate:10,scale:0.1,shear:0.1")]
    [InlineData("SCALE:0.05", "scale:0.05")]
    public void ParsesLimitsIntoTheirCanonicalForm(string text, string? canonical)
    {
        var affine = RandomAffine.Parse(text);
        Assert.Equal(canonical, affine?.Describe());
        if (affine is not null) Assert.Equal(affine, RandomAffine.Parse(affine.Describe()));
    }

    [Theory]
    [InlineData("rotate:200", "at most 180")]
    [InlineData("scale:1", "below 1")]
    [InlineData("shear:1.5", "at most 1")]
    [InlineData("shift:-1", "non-negative")]
    [InlineData("shift:x", "non-negative")]
    [InlineData("shift:nan", "non-negative")]
    [InlineData("zoom:2", "'zoom:2' is not one of")]
    [InlineData("shift", "is not one of")]
    [InlineData("shift:1,shift:2", "given twice")]
    public void BadLimitsAreOneLineErrors(string text, string message)
    {
        var e = Assert.Throws<FormatException>(() => RandomAffine.Parse(text));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
