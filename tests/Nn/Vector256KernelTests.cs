using Lshk.Kernels.Cpu;
using Lshk.Kernels.Nn.Cpu;

namespace Lshk.Tests.Nn;

/// <summary>
/// The 256-bit (AVX2) forms of the CPU kernels against their Vector512 forms, bit for bit. The Vector512 form is the
/// code AVX-512 machines run (on other machines it runs as 256-bit halves, the arithmetic unchanged), so these tests
/// hold on both kinds of machine: the AVX2 forms compute the same lanes in the same order and keep the same 16-lane
/// sums. Shapes cover ragged row ends, odd sizes, several groups of 16 and ties in the max-pool windows.
/// </summary>
public unsafe class Vector256KernelTests
{
    private const int TileRows = 8, TileCols = 32;

    private static float[] Random(int seed, int count, float low = -1f, float high = 1f)
    {
        var rng = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = low + (high - low) * (float)rng.NextDouble();
        return values;
    }

    /// <summary>Values on a grid of quarters, so pooling windows hold equal values (ties) often.</summary>
    private static float[] Coarse(int seed, int count)
    {
        var values = Random(seed, count, -2f, 2f);
        for (int i = 0; i < count; i++) values[i] = MathF.Round(values[i] * 4f) / 4f;
        return values;
    }

    private static void AssertBitwiseEqual(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"element {i}: {expected[i]:R} (Vector512 form) vs {actual[i]:R} (Vector256 form)");
    }

    private static void AssertBitwiseEqual(float expected, float actual) =>
        Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(actual));

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(27)]
    public void GatherTileGivesTheVector512Bits(int taps)
    {
        const int ldc = TileCols + 8, span = 200;
        float[] a = Random(1, taps * TileRows), b = Random(2, span + TileCols);
        var rng = new Random(3);
        int[] offsets = Enumerable.Range(0, taps).Select(_ => rng.Next(span)).ToArray();
        float[] c512 = Random(4, TileRows * ldc), c256 = (float[])c512.Clone();
        fixed (float* pa = a, pb = b, p512 = c512, p256 = c256)
        fixed (int* po = offsets)
        {
            ConvMicroKernels.GatherTile512(pa, pb, po, taps, p512, ldc);
            ConvMicroKernels.GatherTile256(pa, pb, po, taps, p256, ldc);
        }
        AssertBitwiseEqual(c512, c256);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(37)]
    public void AccumulateTileGivesTheVector512Bits(int count)
    {
        const int ldb = TileCols + 16, ldc = TileCols + 8;
        float[] source = Random(5, TileRows * 64 + count), b = Random(6, count * ldb);
        float[] c512 = Random(7, TileRows * ldc), c256 = (float[])c512.Clone();
        fixed (float* ps = source, pb = b, p512 = c512, p256 = c256)
        {
            float** rows = stackalloc float*[TileRows];
            for (int i = 0; i < TileRows; i++) rows[i] = ps + i * 61; // overlapping shifted rows, as the taps are
            ConvMicroKernels.AccumulateTile512(rows, pb, ldb, count, p512, ldc, fromZero: false);
            ConvMicroKernels.AccumulateTile256(rows, pb, ldb, count, p256, ldc, fromZero: false);
        }
        AssertBitwiseEqual(c512, c256);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(37, false)]
    [InlineData(37, true)]
    public void ProductAndOuterTilesGiveTheVector512BitsAndTheirSums(int count, bool outer)
    {
        const int lda = TileRows + 5, ldb = TileCols + 16, ldc = TileCols + 8;
        float[] a = Random(11, count * lda + TileRows * 64), b = Random(12, count * ldb);
        float[] start = Random(13, TileRows * ldc);
        float[] c512 = (float[])start.Clone(), c256 = (float[])start.Clone();
        var expected = new double[TileRows * ldc];
        fixed (float* pa = a, pb = b, p512 = c512, p256 = c256)
        {
            float** rows = stackalloc float*[TileRows];
            for (int i = 0; i < TileRows; i++) rows[i] = pa + i * 64;
            if (outer)
            {
                ConvMicroKernels.OuterTile512(pa, lda, pb, ldb, count, p512, ldc);
                OuterTileAs256(pa, lda, pb, ldb, count, p256, ldc);
            }
            else
            {
                ConvMicroKernels.AccumulateTile512(rows, pb, ldb, count, p512, ldc, fromZero: true);
                ConvMicroKernels.AccumulateTile256(rows, pb, ldb, count, p256, ldc, fromZero: true);
            }
            // the sums in float64: the outer tile adds to what c held, the product tile ignores it
            for (int i = 0; i < TileRows; i++)
                for (int j = 0; j < TileCols; j++)
                {
                    double sum = outer ? start[i * ldc + j] : 0;
                    for (int t = 0; t < count; t++)
                        sum += (outer ? (double)a[t * lda + i] : rows[i][t]) * b[t * ldb + j];
                    expected[i * ldc + j] = sum;
                }
        }
        AssertBitwiseEqual(c512, c256);
        for (int i = 0; i < TileRows; i++)
            for (int j = 0; j < TileCols; j++)
                Assert.True(Math.Abs(expected[i * ldc + j] - c512[i * ldc + j]) <= 1e-5 * (1 + Math.Abs(expected[i * ldc + j])),
                    $"[{i}, {j}]: {c512[i * ldc + j]} against {expected[i * ldc + j]}");
        // columns past the tile are not touched
        for (int i = 0; i < TileRows; i++)
            for (int j = TileCols; j < ldc; j++)
                Assert.Equal(start[i * ldc + j], c512[i * ldc + j]);
    }

    /// <summary>The AVX2 form of the outer tile, which <see cref="ConvMicroKernels.OuterTile"/> picks without AVX-512.</summary>
    private static void OuterTileAs256(float* a, int lda, float* b, int ldb, int count, float* c, int ldc) =>
        ConvMicroKernels.OuterTile256(a, lda, b, ldb, count, c, ldc);

    [Theory]
    [InlineData(28, 28, true)]
    [InlineData(14, 14, true)]
    [InlineData(7, 7, true)]
    [InlineData(3, 3, false)]
    [InlineData(5, 34, true)]
    [InlineData(4, 40, false)]
    [InlineData(2, 66, true)]
    public void PoolRowsGiveTheVector512Bits(int h, int w, bool relu)
    {
        int pooled = h / 2 * (w / 2);
        float[] x = Coarse(8, h * w), dp = Random(9, pooled);
        const float a = -0.75f, b = 0.25f, mean = 0.125f, ca = 1.5f, cb = -0.5f, cc = 0.0625f;
        float[] y512 = new float[pooled], y256 = new float[pooled];
        float[] dx512 = Random(10, h * w), dx256 = (float[])dx512.Clone();
        float s512, sp512, s256, sp256;
        fixed (float* px = x, pdp = dp, py512 = y512, py256 = y256, pdx512 = dx512, pdx256 = dx256)
        {
            PoolRows.Forward512(px, h, w, a, b, relu, py512);
            PoolRows256.Forward(px, h, w, a, b, relu, py256);
            PoolRows.Sums512(px, pdp, h, w, a, b, mean, relu, out s512, out sp512);
            PoolRows256.Sums(px, pdp, h, w, a, b, mean, relu, out s256, out sp256);
            PoolRows.Backward512(px, pdp, pdx512, h, w, a, b, relu, ca, cb, cc);
            PoolRows256.Backward(px, pdp, pdx256, h, w, a, b, relu, ca, cb, cc);
        }
        AssertBitwiseEqual(y512, y256);
        AssertBitwiseEqual(s512, s256);
        AssertBitwiseEqual(sp512, sp256);
        AssertBitwiseEqual(dx512, dx256);
    }

    /// <summary>
    /// The routed plane (the first block's sums pass) in both forms: its sums are Sums' bits, its values those of
    /// Backward with A = 1, B = C = 0 (g at each window's first maximum, zero elsewhere; compared as values, as the two
    /// may differ in the sign of a zero), written at a row stride wider than the plane with what lies between the rows
    /// untouched.
    /// </summary>
    [Theory]
    [InlineData(28, 28, 30)]
    [InlineData(7, 7, 9)]
    [InlineData(5, 34, 36)]
    [InlineData(2, 66, 66)]
    public void RoutedPlaneIsTheSumsAndTheRoutingOfThePoolBackward(int h, int w, int stride)
    {
        int pooled = h / 2 * (w / 2);
        float[] x = Coarse(11, h * w), dp = Random(12, pooled);
        const float a = -0.75f, b = 0.25f, mean = 0.125f;
        float[] dense = new float[h * w], r512 = Enumerable.Repeat(7f, h * stride).ToArray(), r256 = (float[])r512.Clone();
        float s, sp, s512, sp512, s256, sp256;
        fixed (float* px = x, pdp = dp, pd = dense, p512 = r512, p256 = r256)
        {
            PoolRows.Sums512(px, pdp, h, w, a, b, mean, relu: true, out s, out sp);
            PoolRows.Backward512(px, pdp, pd, h, w, a, b, relu: true, 1f, 0f, 0f);
            PoolRows.Routed512(px, pdp, p512, stride, h, w, a, b, mean, out s512, out sp512);
            PoolRows256.Routed(px, pdp, p256, stride, h, w, a, b, mean, out s256, out sp256);
        }
        AssertBitwiseEqual(s, s512);
        AssertBitwiseEqual(sp, sp512);
        AssertBitwiseEqual(s512, s256);
        AssertBitwiseEqual(sp512, sp256);
        AssertBitwiseEqual(r512, r256);
        for (int i = 0; i < h; i++)
            for (int j = 0; j < stride; j++)
                Assert.Equal(j < w ? dense[i * w + j] : 7f, r512[i * stride + j]);
        Assert.Contains(r512, v => v != 0f && v != 7f); // some gradient was routed
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(16)]
    [InlineData(37)]
    [InlineData(196)]
    public void BatchNormSumsGiveTheVector512Bits(int n)
    {
        float[] x = Random(11, n), dy = Random(12, n);
        fixed (float* px = x, pdy = dy)
        {
            var shifted512 = VectorMath.ShiftedSums512(px, n, 0.3f);
            var shifted256 = VectorMath.ShiftedSums256(px, n, 0.3f);
            AssertBitwiseEqual(shifted512.Sum, shifted256.Sum);
            AssertBitwiseEqual(shifted512.SumSquares, shifted256.SumSquares);
            var gradient512 = VectorMath.GradientSums512(pdy, px, n, -0.2f);
            var gradient256 = VectorMath.GradientSums256(pdy, px, n, -0.2f);
            AssertBitwiseEqual(gradient512.Sum, gradient256.Sum);
            AssertBitwiseEqual(gradient512.SumProducts, gradient256.SumProducts);
        }
    }

    [Theory]
    [InlineData(64)]
    [InlineData(13)]
    public void CosineDotProductsGiveTheVector512Bits(int d)
    {
        const int queries = 6, blocks = 4, lanes = 16;
        float[] q = Random(13, queries * d), s = Random(14, blocks * d * lanes);
        float[] scores512 = new float[queries * blocks * lanes], scores256 = new float[queries * blocks * lanes];
        fixed (float* pq = q, ps = s, p512 = scores512, p256 = scores256)
        {
            CpuCosineIndex.DotProducts(pq, ps, d, p512);
            for (int block = 0; block < blocks; block++)
                CpuCosineIndex.DotProductsBlock256(pq, ps + block * d * lanes, d, p256 + block * lanes);
        }
        AssertBitwiseEqual(scores512, scores256);
    }
}
