using Lshk.Kernels.Nn;
using Lshk.Tests.Nn.Reference;
using static Lshk.Tests.Nn.Reference.GradientCheck;

namespace Lshk.Tests.Nn;

/// <summary>CPU ReLU, 2×2 max-pooling (with ties), global average pooling and inverted dropout against the reference and known properties.</summary>
public class CpuActivationTests(CpuOpsFixture fx) : IClassFixture<CpuOpsFixture>
{
    [Theory]
    [InlineData(37)]
    [InlineData(100_003)] // several work items and a vector tail
    public void ReluForwardAndBackwardMatchTheReference(int count)
    {
        var ops = fx.Ops;
        double[] x = TestData.Uniform(1, count), dy = TestData.Uniform(2, count);
        x[0] = 0; // ReLU'(0) = 0, as PyTorch
        using var bx = ops.Upload(x);
        using var by = ops.Allocate(count);
        using var bdy = ops.Upload(dy);
        using var bdx = ops.Allocate(count);
        ops.ReluForward(bx, by, count);
        ops.ReluBackward(by, bdy, bdx, count);
        Assert.Equal(NnReference.Relu(x).ToFloat(), by.ToArray());
        Assert.Equal(NnReference.ReluBackward(x, dy).ToFloat(), bdx.ToArray());
    }

    [Theory]
    [InlineData(2, 3, 3, 3)]   // Conv-4's last map at 28×28
    [InlineData(3, 5, 7, 5)]
    [InlineData(1, 2, 1, 1)]   // a 1×1 map: the identity
    [InlineData(4, 3, 9, 11)]  // 99 positions: vector lanes and a tail
    public void AveragePoolMatchesTheReference(int n, int c, int h, int w)
    {
        var ops = fx.Ops;
        var s = new Nchw(n, c, h, w);
        double[] x = TestData.Uniform(5, s.Length), dy = TestData.Uniform(6, n * c);
        using var bx = ops.Upload(x);
        using var by = ops.Allocate(n * c);
        using var bdy = ops.Upload(dy);
        using var bdx = ops.Upload(Enumerable.Repeat(9.0, s.Length).ToArray()); // overwritten, not accumulated
        var op = NnOpRegistry.Create<IAveragePoolOp>(ops);
        op.Forward(s, bx, by);
        op.Backward(s, bdy, bdx);
        AssertClose(NnReference.AveragePool(s, x), by.ToArray().Select(v => (double)v).ToArray(), 1e-6, "y");
        AssertClose(NnReference.AveragePoolBackward(s, dy), bdx.ToArray().Select(v => (double)v).ToArray(), 1e-6, "dx");
    }

    [Theory]
    [InlineData(2, 3, 8, 8)]
    [InlineData(2, 2, 7, 5)]  // odd sizes: the last row/column belongs to no window (floor mode)
    [InlineData(1, 1, 3, 3)]
    [InlineData(1, 2, 5, 37)] // 18 windows per row: a full 16-lane chunk and a ragged one
    [InlineData(2, 1, 4, 64)] // two full chunks
    public void MaxPoolMatchesTheReference(int n, int c, int h, int w)
    {
        var ops = fx.Ops;
        var s = new Nchw(n, c, h, w);
        double[] x = TestData.Uniform(3, s.Length), dy = TestData.Uniform(4, s.Pooled.Length);
        using var bx = ops.Upload(x);
        using var by = ops.Allocate(s.Pooled.Length);
        using var bdy = ops.Upload(dy);
        using var bdx = ops.Upload(Enumerable.Repeat(9.0, s.Length).ToArray()); // overwritten, not accumulated
        ops.MaxPool2x2Forward(s, bx, by);
        ops.MaxPool2x2Backward(s, bx, bdy, bdx);
        Assert.Equal(NnReference.MaxPool(s, x).ToFloat(), by.ToArray());
        Assert.Equal(NnReference.MaxPoolBackward(s, x, dy).ToFloat(), bdx.ToArray());
    }

    [Fact]
    public void MaxPoolTiesGoToTheFirstMaximumInRowMajorOrder()
    {
        var ops = fx.Ops;
        var s = new Nchw(1, 1, 4, 4);
        // windows: all equal → (0,0); top-right & bottom-left tie → top-right; bottom row tie → bottom-left; all zero
        float[] x =
        [
            5, 5, 1, 7,
            5, 5, 7, 2,
            0, 3, 0, 0,
            4, 4, 0, 0,
        ];
        using var bx = ops.Upload(x);
        using var by = ops.Allocate(4);
        using var bdy = ops.Upload(new float[] { 1, 2, 3, 4 });
        using var bdx = ops.Allocate(16);
        ops.MaxPool2x2Forward(s, bx, by);
        ops.MaxPool2x2Backward(s, bx, bdy, bdx);
        Assert.Equal(new float[] { 5, 7, 4, 0 }, by.ToArray());
        Assert.Equal(new float[]
        {
            1, 0, 0, 2,
            0, 0, 0, 0,
            0, 0, 4, 0,
            3, 0, 0, 0,
        }, bdx.ToArray());
    }

    [Fact]
    public void DirectionalDerivativeOfFloat32ReluAndPoolMatchesBackward()
    {
        var ops = fx.Ops;
        var s = new Nchw(2, 3, 6, 7);
        // values 0.02 apart (no ties, none within 0.01 of zero): a step of 1e-3 crosses no kink
        var rng = new System.Random(5);
        double[] x = Enumerable.Range(0, s.Length).OrderBy(_ => rng.Next()).Select(i => (i - s.Length / 2) * 0.02 + 0.01).ToArray();
        double[] v = TestData.Uniform(6, s.Length), r = TestData.Uniform(7, s.Pooled.Length);
        const double eps = 1e-3;

        double Loss(double sign)
        {
            using var bx = ops.Upload(x.Select((t, i) => t + sign * eps * v[i]).ToArray());
            using var relu = ops.Allocate(s.Length);
            using var pooled = ops.Allocate(s.Pooled.Length);
            ops.ReluForward(bx, relu, s.Length);
            ops.MaxPool2x2Forward(s, relu, pooled);
            return Weighted(pooled.ToArray(), r);
        }

        using var cx = ops.Upload(x);
        using var cr = ops.Allocate(s.Length);
        using var cp = ops.Allocate(s.Pooled.Length);
        using var dp = ops.Upload(r);
        using var dr = ops.Allocate(s.Length);
        using var dx = ops.Allocate(s.Length);
        ops.ReluForward(cx, cr, s.Length);
        ops.MaxPool2x2Forward(s, cr, cp);
        ops.MaxPool2x2Backward(s, cr, dp, dr);
        ops.ReluBackward(cr, dr, dx, s.Length);
        double numeric = (Loss(1) - Loss(-1)) / (2 * eps), analytic = Dot(dx.ToArray(), v);
        Assert.True(Math.Abs(numeric - analytic) <= 1e-3 * Math.Abs(analytic), $"numeric {numeric}, analytic {analytic}");
    }

    [Fact]
    public void DropoutKeepsTheRightFractionScalesByOneOverKeepAndReusesTheMaskBackward()
    {
        var ops = fx.Ops;
        const int count = 200_000;
        var mask = new DropoutMask(0.8f, seed: 42, stream: 7);
        double[] x = TestData.AwayFromZero(8, count);
        using var bx = ops.Upload(x);
        using var by = ops.Allocate(count);
        ops.DropoutForward(bx, by, count, mask);
        float[] y = by.ToArray();
        AssertClose(NnReference.Dropout(x, mask), y, 1e-6, "y");
        Assert.All(y.Select((v, i) => (v, i)), p => Assert.True(p.v == 0 || Math.Abs(p.v) >= 0.05f)); // zeros only where dropped
        int kept = y.Count(v => v != 0);
        // binomial(200000, 0.8): standard deviation ≈ 179
        Assert.InRange(kept, 160_000 - 1000, 160_000 + 1000);
        for (int i = 0; i < 1000; i++)
            if (y[i] != 0) Assert.Equal((float)x[i] * 1.25f, y[i]);

        using var bdx = ops.Allocate(count);
        ops.DropoutBackward(bx, bdx, count, mask);
        Assert.Equal(y, bdx.ToArray()); // the same linear map: the mask is recomputed, not stored

        // another stream gives another mask; keep = 1 is the identity
        using var other = ops.Allocate(count);
        ops.DropoutForward(bx, other, count, new DropoutMask(0.8f, 42, 8));
        Assert.NotEqual(y, other.ToArray());
        ops.DropoutForward(bx, other, count, new DropoutMask(1f, 42, 8));
        Assert.Equal(x.ToFloat(), other.ToArray());
    }

    [Fact]
    public void DropoutRejectsAKeepProbabilityOutsideZeroToOne()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DropoutMask(0f, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DropoutMask(1.5f, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DropoutMask(float.NaN, 1, 1));
    }
}
