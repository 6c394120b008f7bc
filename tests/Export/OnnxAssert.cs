namespace Lshk.Tests.Export;

/// <summary>How close ONNX Runtime's floats must be to lshk's.</summary>
internal static class OnnxAssert
{
    /// <summary>
    /// |onnx − lshk| ≤ 1e-4 · max(1, |lshk|): absolute below 1, relative above. The two compute the same function
    /// and differ by rounding only: ONNX Runtime folds batch norm into the convolution and sums the products in its own
    /// order, and lshk computes the 3×3 convolutions of 14×14 and 7×7 maps by Winograd's F(7×7, 3×3), which rounds to
    /// about 10⁻⁴ of the outputs' scale (WinogradF7; with F(4×4) alone these agreed to 10⁻⁵). A wrong layer, weight
    /// or layout misses by orders of magnitude more.
    /// </summary>
    public const double Tolerance = 1e-4;

    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)actual[i] - expected[i]) / Math.Max(1.0, Math.Abs(expected[i]));
            if (!(error <= worst)) (worst, at) = (error, i);
        }
        Assert.True(worst <= Tolerance, $"{what}: value {at} is {actual[at]} in ONNX Runtime, {expected[at]} in lshk (scaled error {worst:G3})");
    }

    /// <summary>Values that vary, so agreeing with them means something (not a dead network of zeros).</summary>
    public static void Varied(ReadOnlySpan<float> values, string what)
    {
        double mean = 0, square = 0;
        foreach (float v in values) { mean += v; square += (double)v * v; }
        mean /= values.Length;
        double std = Math.Sqrt(Math.Max(0, square / values.Length - mean * mean));
        Assert.True(std > 1e-2, $"{what}: the values hardly vary (std {std:G3}), so agreeing with them proves little");
    }
}
