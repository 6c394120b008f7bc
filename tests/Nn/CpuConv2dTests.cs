using Lshk.Kernels.Nn;
using Lshk.Kernels.Nn.Cpu;
using Lshk.Tests.Nn.Reference;
using static Lshk.Tests.Nn.Reference.GradientCheck;

namespace Lshk.Tests.Nn;

/// <summary>The CPU convolution (both its padded-grid and im2col paths) against the float64 reference.</summary>
public class CpuConv2dTests(CpuOpsFixture fx) : IClassFixture<CpuOpsFixture>
{
    private const double Tolerance = 2e-5;

    /// <summary>
    /// F(7×7, 3×3) rounds about 25 times more than F(4×4, 3×3) (coefficients up to 64 and 1/4096 in Aᵀ, divisors
    /// up to 2,835 in G): measured here at up to 6·10⁻⁵ of the outputs' scale, so it is held to 10⁻⁴. A wrong
    /// coefficient would miss by orders of magnitude more.
    /// </summary>
    private const double ToleranceF7 = 5e-4;

    private static double WinogradTolerance(int tile) => tile == 7 ? ToleranceF7 : Tolerance;

    // batch, cin, h, w, cout, kernel, stride, padding, bias
    public static TheoryData<int, int, int, int, int, int, int, int, bool> Shapes => new()
    {
        { 3, 5, 9, 11, 7, 3, 1, 1, true },     // grid path, channel counts off the 8/32 blocking
        { 2, 1, 28, 28, 64, 3, 1, 1, true },   // Conv-4's first block
        { 2, 64, 7, 7, 64, 3, 1, 1, false },   // a later block
        { 2, 3, 8, 6, 40, 3, 1, 0, true },     // no padding
        { 2, 4, 9, 9, 9, 5, 1, 2, true },      // 5×5
        { 2, 6, 5, 5, 3, 1, 1, 0, true },      // 1×1
        { 2, 3, 9, 10, 5, 3, 2, 1, true },     // stride 2: im2col path
        { 1, 2, 7, 8, 33, 3, 3, 2, false },    // stride 3
        { 2, 2, 6, 6, 4, 3, 1, 3, true },      // padding ≥ kernel: im2col path
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardAndBackwardMatchTheReference(int batch, int cin, int h, int w, int cout, int k, int stride, int pad, bool bias)
    {
        var s = new Conv2dShape(batch, cin, h, w, cout, k, stride, pad);
        // Winograd's shapes run at the default tile (the 7×7 map: F(7×7, 3×3)) and are held to its rounding
        double tolerance = WinogradConv.Applies(s) ? WinogradTolerance(WinogradConv.DefaultTile(s)) : Tolerance;
        foreach (bool im2col in new[] { false, true })
            CheckAgainstReference(s, bias, im2col, seed: batch * 100 + cin * 10 + k, tolerance);
    }

    private void CheckAgainstReference(Conv2dShape s, bool bias, bool im2col, int seed, double tolerance = Tolerance)
    {
        var ops = fx.Ops;
        ops.ForceIm2col = im2col;
        try
        {
            double[] x = TestData.Uniform(seed, s.InputLength), w = TestData.Uniform(seed + 1, s.WeightLength);
            double[]? b = bias ? TestData.Uniform(seed + 2, s.OutChannels) : null;
            double[] dy = TestData.Uniform(seed + 3, s.OutputLength);
            using var bx = ops.Upload(x);
            using var bw = ops.Upload(w);
            using var bb = b is null ? null : ops.Upload(b);
            using var by = ops.Allocate(s.OutputLength);
            ops.Conv2dForward(s, bx, bw, bb, by);
            string path = im2col ? "im2col" : "grid";
            AssertClose(NnReference.Conv2dForward(s, x, w, b), by.ToArray(), tolerance, $"{path} y");

            using var bdy = ops.Upload(dy);
            using var bdx = ops.Allocate(s.InputLength);
            using var bdw = ops.Allocate(s.WeightLength);
            using var bdb = ops.Allocate(s.OutChannels);
            ops.Conv2dBackward(s, bx, bw, bdy, bdx, bdw, bdb);
            var (rdx, rdw, rdb) = NnReference.Conv2dBackward(s, x, w, dy);
            AssertClose(rdx, bdx.ToArray(), tolerance, $"{path} dx");
            AssertClose(rdw, bdw.ToArray(), tolerance, $"{path} dw");
            AssertClose(rdb, bdb.ToArray(), tolerance, $"{path} db");
        }
        finally
        {
            ops.ForceIm2col = false;
        }
    }

    // batch, cin, h, w, cout, bias, tile: shapes Winograd's method takes, at every output tile size (odd sizes leave
    // part-empty tiles; 40 and 56 channels leave part-empty 32-channel column blocks; 3×3 and 1×1 maps are one F(4×4)
    // tile, so 16 images share a work item and batch 19 leaves a part-full one; 7×7 is four F(4×4) tiles, four images
    // a work item, and batch 6 leaves one of two)
    public static TheoryData<int, int, int, int, int, bool, int> WinogradShapes()
    {
        var data = new TheoryData<int, int, int, int, int, bool, int>();
        foreach (int tile in new[] { 2, 4, 7 })
        {
            data.Add(2, 64, 14, 14, 64, true, tile);
            data.Add(3, 40, 9, 11, 32, false, tile);
            data.Add(2, 32, 7, 7, 56, true, tile);
            data.Add(6, 32, 7, 7, 40, false, tile);
            data.Add(2, 64, 3, 3, 64, false, tile);
            data.Add(19, 32, 3, 3, 32, true, tile);
            data.Add(3, 32, 1, 1, 32, true, tile);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(WinogradShapes))]
    public void WinogradMatchesTheReferenceAndTheDirectPath(int batch, int cin, int h, int w, int cout, bool bias, int tile)
    {
        var s = new Conv2dShape(batch, cin, h, w, cout);
        Assert.True(WinogradConv.Applies(s));
        var ops = fx.Ops;
        ops.WinogradTile = tile;
        try
        {
            CheckAgainstReference(s, bias, im2col: false, seed: 500 + cin + h, WinogradTolerance(tile));

            // the direct path computes the same function to rounding
            double[] x = TestData.Uniform(60, s.InputLength), wt = TestData.Uniform(61, s.WeightLength), dy = TestData.Uniform(62, s.OutputLength);
            float[][] Run(bool direct)
            {
                ops.ForceDirectConv = direct;
                try
                {
                    using var bx = ops.Upload(x);
                    using var bw = ops.Upload(wt);
                    using var bdy = ops.Upload(dy);
                    using var by = ops.Allocate(s.OutputLength);
                    using var bdx = ops.Allocate(s.InputLength);
                    using var bdw = ops.Allocate(s.WeightLength);
                    ops.Conv2dForward(s, bx, bw, null, by);
                    ops.Conv2dBackward(s, bx, bw, bdy, bdx, bdw, null);
                    return [by.ToArray(), bdx.ToArray(), bdw.ToArray()];
                }
                finally
                {
                    ops.ForceDirectConv = false;
                }
            }
            float[][] winograd = Run(direct: false), direct = Run(direct: true);
            for (int i = 0; i < 3; i++)
                AssertClose(direct[i].Select(v => (double)v).ToArray(), winograd[i], tile == 7 ? ToleranceF7 : 1e-5, new[] { "y", "dx", "dw" }[i]);
        }
        finally
        {
            ops.WinogradTile = 0;
        }
    }

    [Theory]
    [InlineData(14, 7)] // Conv-4's second block on 28×28 images: four 7×7 tiles, none partly empty
    [InlineData(7, 7)]
    [InlineData(21, 7)]
    [InlineData(16, 4)] // CIFAR's maps: F(4×4) covers them exactly
    [InlineData(8, 4)]
    [InlineData(10, 4)] // not a multiple of 7: F(7×7) would compute padding
    [InlineData(5, 4)]
    [InlineData(3, 2)]  // under a 4×4 tile
    public void WinogradChoosesTheTileThatCoversTheMap(int side, int tile) =>
        Assert.Equal(tile, WinogradConv.DefaultTile(new Conv2dShape(2, 64, side, side, 64)));

    [Fact]
    public void WinogradLeavesOtherShapesToTheDirectPath()
    {
        Assert.False(WinogradConv.Applies(new Conv2dShape(2, 1, 28, 28, 64)));     // Conv-4's first block
        Assert.False(WinogradConv.Applies(new Conv2dShape(2, 8, 14, 14, 8)));      // few channels
        Assert.False(WinogradConv.Applies(new Conv2dShape(2, 36, 14, 14, 64)));    // not a multiple of 8
        Assert.False(WinogradConv.Applies(new Conv2dShape(2, 64, 14, 14, 64, 3, 2, 1)));
        Assert.False(WinogradConv.Applies(new Conv2dShape(2, 64, 14, 14, 64, 3, 1, 0)));
        Assert.False(WinogradConv.Applies(new Conv2dShape(2, 64, 14, 14, 64, 5, 1, 2)));
        Assert.True(WinogradConv.Applies(new Conv2dShape(2, 64, 14, 14, 64)));
    }

    [Fact]
    public void ParameterGradientsAccumulateAndInputGradientIsOverwritten()
    {
        var ops = fx.Ops;
        var s = new Conv2dShape(2, 3, 6, 6, 8);
        double[] x = TestData.Uniform(20, s.InputLength), w = TestData.Uniform(21, s.WeightLength), dy = TestData.Uniform(22, s.OutputLength);
        using var bx = ops.Upload(x);
        using var bw = ops.Upload(w);
        using var bdy = ops.Upload(dy);
        using var bdx = ops.Allocate(s.InputLength);
        using var bdw = ops.Allocate(s.WeightLength);
        using var bdb = ops.Allocate(s.OutChannels);
        ops.Fill(bdx, 123f);
        ops.Conv2dBackward(s, bx, bw, bdy, bdx, bdw, bdb);
        float[] dx1 = bdx.ToArray(), dw1 = bdw.ToArray(), db1 = bdb.ToArray();
        ops.Conv2dBackward(s, bx, bw, bdy, bdx, bdw, bdb);
        Assert.Equal(dx1, bdx.ToArray());
        AssertClose(dw1.Select(v => 2.0 * v).ToArray(), bdw.ToArray(), 1e-6, "dw twice");
        AssertClose(db1.Select(v => 2.0 * v).ToArray(), bdb.ToArray(), 1e-6, "db twice");

        // skipping dx (the network input) leaves the other gradients unchanged
        using var bdw2 = ops.Allocate(s.WeightLength);
        ops.Conv2dBackward(s, bx, bw, bdy, null, bdw2, null);
        Assert.Equal(dw1, bdw2.ToArray());
    }

    [Theory]
    [InlineData(1, 1, 4)]
    [InlineData(2, 1, 4)]
    [InlineData(1, 0, 4)]
    [InlineData(1, 1, 32)] // Winograd's path, F(4×4, 3×3)
    [InlineData(1, 1, 32, 2)] // Winograd's path, F(2×2, 3×3)
    public void DirectionalDerivativeOfFloat32ForwardMatchesBackward(int stride, int pad, int channels, int tile = 0)
    {
        var ops = fx.Ops;
        ops.WinogradTile = tile;
        try
        {
            CheckDirectionalDerivative(ops, stride, pad, channels);
        }
        finally
        {
            ops.WinogradTile = 0;
        }
    }

    /// <summary>
    /// F(7×7, 3×3)'s backward against its own forward. A central difference of two forwards (the test above) cannot
    /// resolve it: the two losses are sums of thousands of outputs, each rounded to about 10⁻⁴ of their scale, and
    /// their difference is small. But the convolution is linear in x and in w separately, so the derivative along vx
    /// is one forward of vx itself, Σ r·(vx ⊛ w), with nothing to cancel; likewise Σ r·(x ⊛ vw) along vw. The
    /// backward's dx and dw must give the same numbers as those forwards (computed on the same path).
    /// </summary>
    [Fact]
    public void F7BackwardIsTheAdjointOfItsForward()
    {
        var ops = fx.Ops;
        ops.WinogradTile = 7;
        try
        {
            var s = new Conv2dShape(3, 32, 14, 14, 48);
            Assert.True(WinogradConv.Applies(s));
            double[] x = TestData.Uniform(40, s.InputLength), w = TestData.Uniform(41, s.WeightLength);
            double[] vx = TestData.Uniform(42, x.Length), vw = TestData.Uniform(43, w.Length), r = TestData.Uniform(44, s.OutputLength);
            double Forward(double[] input, double[] weights)
            {
                using var bx = ops.Upload(input);
                using var bw = ops.Upload(weights);
                using var by = ops.Allocate(s.OutputLength);
                ops.Conv2dForward(s, bx, bw, null, by);
                return Weighted(by.ToArray(), r);
            }
            using var cx = ops.Upload(x);
            using var cw = ops.Upload(w);
            using var cr = ops.Upload(r);
            using var dx = ops.Allocate(x.Length);
            using var dw = ops.Allocate(w.Length);
            ops.Conv2dBackward(s, cx, cw, cr, dx, dw, null);
            double alongX = Forward(vx, w), alongW = Forward(x, vw);
            double adjointX = Dot(dx.ToArray(), vx), adjointW = Dot(dw.ToArray(), vw);
            Assert.True(Math.Abs(alongX - adjointX) <= 1e-4 * Math.Abs(alongX), $"along x: forward {alongX}, backward {adjointX}");
            Assert.True(Math.Abs(alongW - adjointW) <= 1e-4 * Math.Abs(alongW), $"along w: forward {alongW}, backward {adjointW}");
        }
        finally
        {
            ops.WinogradTile = 0;
        }
    }

    private static void CheckDirectionalDerivative(CpuNnOps ops, int stride, int pad, int channels)
    {
        var s = new Conv2dShape(2, channels, 8, 8, channels == 4 ? 6 : 40, 3, stride, pad);
        double[] x = TestData.Uniform(30, s.InputLength), w = TestData.Uniform(31, s.WeightLength), b = TestData.Uniform(32, s.OutChannels);
        double[] r = TestData.Uniform(33, s.OutputLength);
        double[] vx = TestData.Uniform(34, x.Length), vw = TestData.Uniform(35, w.Length), vb = TestData.Uniform(36, b.Length);
        // The loss is Σ r·(x ⊛ w + b): bilinear in (x, w), so quadratic along any direction, and a central difference
        // of a quadratic is its derivative exactly at every step size. A large step keeps float32 rounding in the two
        // forwards (F(4×4, 3×3)'s is the largest) from swamping the difference.
        const double eps = 0.5;

        double Loss(double sign)
        {
            using var bx = ops.Upload(x.Select((v, i) => v + sign * eps * vx[i]).ToArray());
            using var bw = ops.Upload(w.Select((v, i) => v + sign * eps * vw[i]).ToArray());
            using var bb = ops.Upload(b.Select((v, i) => v + sign * eps * vb[i]).ToArray());
            using var by = ops.Allocate(s.OutputLength);
            ops.Conv2dForward(s, bx, bw, bb, by);
            return Weighted(by.ToArray(), r);
        }

        double numeric = (Loss(1) - Loss(-1)) / (2 * eps);
        using var cx = ops.Upload(x);
        using var cw = ops.Upload(w);
        using var cr = ops.Upload(r);
        using var dx = ops.Allocate(x.Length);
        using var dw = ops.Allocate(w.Length);
        using var db = ops.Allocate(b.Length);
        ops.Conv2dBackward(s, cx, cw, cr, dx, dw, db);
        double analytic = Dot(dx.ToArray(), vx) + Dot(dw.ToArray(), vw) + Dot(db.ToArray(), vb);
        Assert.True(Math.Abs(numeric - analytic) <= 1e-3 * Math.Abs(analytic), $"numeric {numeric}, analytic {analytic}");
    }

    [Fact]
    public void WrongBufferLengthIsAClearError()
    {
        var ops = fx.Ops;
        var s = new Conv2dShape(1, 2, 5, 5, 3);
        using var x = ops.Allocate(s.InputLength - 1);
        using var w = ops.Allocate(s.WeightLength);
        using var y = ops.Allocate(s.OutputLength);
        var e = Assert.Throws<ArgumentException>(() => ops.Conv2dForward(s, x, w, null, y));
        Assert.Contains("conv input has 49 values, expected 50", e.Message);
        Assert.Throws<ArgumentException>(() => ops.Conv2dForward(s with { Kernel = 9, Padding = 1 }, x, w, null, y));
    }

    [Fact]
    public void EmptyBatchDoesNothing()
    {
        var ops = fx.Ops;
        var s = new Conv2dShape(0, 2, 5, 5, 3);
        using var x = ops.Allocate(0);
        using var w = ops.Upload(TestData.Uniform(40, s.WeightLength));
        using var y = ops.Allocate(0);
        using var dw = ops.Allocate(s.WeightLength);
        ops.Conv2dForward(s, x, w, null, y);
        ops.Conv2dBackward(s, x, w, y, x, dw, null);
        Assert.All(dw.ToArray(), v => Assert.Equal(0f, v));
    }
}
