using Lshk.Kernels.Nn;
using Lshk.Kernels.Nn.Cpu;

namespace Lshk.Tests.Nn;

/// <summary>
/// The kernels written once over <see cref="IFloatLanes{TSelf}"/> give the same bits at 8 lanes (what AVX2 machines
/// run) and 16 (what AVX-512 machines run): each lane is a channel or an output position, so the width must change
/// no value. Called directly at both widths, so the test holds on either kind of machine (without AVX-512 the
/// 16-lane form runs as two 256-bit halves). Shapes cover ragged row ends (28 = 16 + 12 = 3·8 + 4), maps smaller
/// than a tile row, channel counts with leftover blocks, and every padding the recomputation accepts.
/// </summary>
public unsafe class FloatLanesKernelTests
{
    private static float[] Random(int seed, int count)
    {
        var rng = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(rng.NextDouble() * 2 - 1);
        return values;
    }

    private static void AssertBitwiseEqual(float[] narrow, float[] wide, string what)
    {
        Assert.Equal(narrow.Length, wide.Length);
        for (int i = 0; i < narrow.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(narrow[i]) == BitConverter.SingleToInt32Bits(wide[i]),
                $"{what}, element {i}: {narrow[i]:R} at 8 lanes vs {wide[i]:R} at 16");
    }

    [Theory]
    [InlineData(4, 14, 32, 48)]  // Conv-4's second block shape (4×4 tiles, the last ones partly padding)
    [InlineData(4, 7, 64, 32)]
    [InlineData(4, 5, 16, 16)]
    [InlineData(7, 14, 32, 48)]  // 7×7 tiles: Conv-4's second and third blocks, and a part-empty tile
    [InlineData(7, 7, 64, 32)]
    [InlineData(7, 9, 16, 16)]
    public void WinogradTransformsGiveTheSameBitsAtBothWidths(int tile, int side, int cin, int cout)
    {
        var g = new WinogradGeometry(new Conv2dShape(3, cin, side, side, cout, 3, 1, 1), tile);
        var tileIn = new int[g.T];
        var tileOut = new int[g.T];
        float[] input = Random(1, g.HwcLength), products = Random(2, g.Points * g.MXi), bias = Random(3, cout);
        float[] outputGradient = Random(4, g.OutHwcLength), dv = Random(5, g.Points * g.VXi), dx = Random(6, g.HwcLength);
        float[] v8 = new float[g.Points * g.VXi], v16 = (float[])v8.Clone();
        float[] y8 = new float[g.OutHwcLength], y16 = (float[])y8.Clone();
        float[] dm8 = new float[g.Points * g.MXi], dm16 = (float[])dm8.Clone();
        float[] dx8 = (float[])dx.Clone(), dx16 = (float[])dx.Clone();
        fixed (int* pi = tileIn, po = tileOut)
        fixed (float* x = input, m = products, b = bias, dy = outputGradient, pdv = dv)
        fixed (float* pv8 = v8, pv16 = v16, py8 = y8, py16 = y16, pdm8 = dm8, pdm16 = dm16, pdx8 = dx8, pdx16 = dx16)
        {
            g.FillTileOffsets(pi, po);
            for (int t0 = 0; t0 < g.T; t0 += WinogradGeometry.ChunkTiles)
            {
                int count = Math.Min(WinogradGeometry.ChunkTiles, g.T - t0);
                if (tile == WinogradF7.Tile)
                {
                    WinogradF7.InputTransform<Lanes8>(g, x, pi, pv8, t0, count);
                    WinogradF7.InputTransform<Lanes16>(g, x, pi, pv16, t0, count);
                    WinogradF7.OutputTransform<Lanes8>(g, m, b, py8, po, t0, count);
                    WinogradF7.OutputTransform<Lanes16>(g, m, b, py16, po, t0, count);
                    WinogradF7.OutputGradientTransform<Lanes8>(g, dy, po, pdm8, t0, count);
                    WinogradF7.OutputGradientTransform<Lanes16>(g, dy, po, pdm16, t0, count);
                    WinogradF7.InputGradientTransform<Lanes8>(g, pdv, pdx8, pi, t0, count);
                    WinogradF7.InputGradientTransform<Lanes16>(g, pdv, pdx16, pi, t0, count);
                    continue;
                }
                WinogradF4.InputTransform<Lanes8>(g, x, pi, pv8, t0, count);
                WinogradF4.InputTransform<Lanes16>(g, x, pi, pv16, t0, count);
                WinogradF4.OutputTransform<Lanes8>(g, m, b, py8, po, t0, count);
                WinogradF4.OutputTransform<Lanes16>(g, m, b, py16, po, t0, count);
                WinogradF4.OutputGradientTransform<Lanes8>(g, dy, po, pdm8, t0, count);
                WinogradF4.OutputGradientTransform<Lanes16>(g, dy, po, pdm16, t0, count);
                WinogradF4.InputGradientTransform<Lanes8>(g, pdv, pdx8, pi, t0, count);
                WinogradF4.InputGradientTransform<Lanes16>(g, pdv, pdx16, pi, t0, count);
            }
        }
        Assert.Contains(v8, value => value != 0); // the transforms wrote something
        AssertBitwiseEqual(v8, v16, "input transform");
        AssertBitwiseEqual(y8, y16, "output transform");
        AssertBitwiseEqual(dm8, dm16, "output gradient transform");
        AssertBitwiseEqual(dx8, dx16, "input gradient transform");
    }

    [Theory]
    [InlineData(28, 64, 1)] // Conv-4's first block
    [InlineData(28, 6, 1)]  // a leftover channel block
    [InlineData(13, 8, 0)]
    [InlineData(9, 4, 2)]
    public void OneChannelConvolutionGivesTheSameBitsAtBothWidths(int side, int cout, int padding)
    {
        var s = new Conv2dShape(1, 1, side, side, cout, 3, 1, padding);
        float[] image = Random(7, side * side), weights = Random(8, cout * 9), bias = Random(9, cout);
        float[] narrow = new float[cout * s.OutHeight * s.OutWidth], wide = (float[])narrow.Clone();
        var recompute = new ConvRecompute(1);
        fixed (float* x = image, w = weights, b = bias, pn = narrow, pw = wide)
        {
            recompute.Begin(s, x, w, b);
            float* padded = recompute.PadInput(0, 0);
            recompute.OneChannel3x3<Lanes8>(padded, pn);
            recompute.OneChannel3x3<Lanes16>(padded, pw);
        }
        Assert.Contains(narrow, value => value != 0);
        AssertBitwiseEqual(narrow, wide, "one-channel 3×3 convolution");
    }

    [Fact]
    public void FourF7KernelTransformsAtOnceGiveTheBitsOfOneAtATime()
    {
        const int points = 81, stride = 9 * 5, xiStride = 12;
        float[] kernels = Random(10, 3 * stride + 9);
        float[] together = new float[points * xiStride], one = new float[points];
        fixed (float* k = kernels, t = together, o = one)
        {
            WinogradF7.KernelTransform4(k, stride, t, xiStride);
            for (int lane = 0; lane < 4; lane++)
            {
                WinogradF7.KernelTransform(k + lane * stride, o);
                for (int xi = 0; xi < points; xi++)
                    Assert.True(BitConverter.SingleToInt32Bits(o[xi]) == BitConverter.SingleToInt32Bits(t[xi * xiStride + lane]),
                        $"kernel {lane}, point {xi}: {o[xi]:R} one at a time vs {t[xi * xiStride + lane]:R} four at once");
            }
        }
        Assert.Contains(one, value => value != 0);
    }
}
