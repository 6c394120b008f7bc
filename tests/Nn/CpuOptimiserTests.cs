using Lshk.Kernels.Nn;
using Lshk.Tests.Nn.Reference;
using static Lshk.Tests.Nn.Reference.GradientCheck;

namespace Lshk.Tests.Nn;

/// <summary>Adam and SGD-with-momentum updates against PyTorch's documented update rules, evaluated in float64.</summary>
public class CpuOptimiserTests(CpuOpsFixture fx) : IClassFixture<CpuOpsFixture>
{
    [Theory]
    [InlineData(0f)]
    [InlineData(0.01f)]
    public void AdamFollowsPyTorchsRuleOverSeveralSteps(float weightDecay)
    {
        var ops = fx.Ops;
        const int count = 53; // vector body + scalar tail
        double[] p = TestData.Uniform(1, count), m = new double[count], v = new double[count];
        using var bp = ops.Upload(p);
        using var bm = ops.Allocate(count);
        using var bv = ops.Allocate(count);
        const double lr = 1e-2, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        for (int t = 1; t <= 5; t++)
        {
            double[] g = TestData.Uniform(10 + t, count);
            using var bg = ops.Upload(g);
            ops.AdamUpdate(bp, bg, bm, bv, count, new AdamStep((float)lr, (float)b1, (float)b2, (float)eps, weightDecay, t));
            for (int i = 0; i < count; i++)
            {
                double gi = g[i] + weightDecay * p[i];
                m[i] = b1 * m[i] + (1 - b1) * gi;
                v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                double mHat = m[i] / (1 - Math.Pow(b1, t)), vHat = v[i] / (1 - Math.Pow(b2, t));
                p[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
        }
        AssertClose(p, bp.ToArray(), 1e-6, "parameters");
        AssertClose(m, bm.ToArray(), 1e-6, "first moment");
        AssertClose(v, bv.ToArray(), 1e-7, "second moment");
    }

    [Theory]
    [InlineData(false, 0f)]
    [InlineData(true, 0.001f)]
    public void SgdWithMomentumFollowsPyTorchsRule(bool nesterov, float weightDecay)
    {
        var ops = fx.Ops;
        const int count = 20;
        double[] p = TestData.Uniform(2, count), velocity = new double[count];
        using var bp = ops.Upload(p);
        using var bvel = ops.Allocate(count);
        const double lr = 0.1, mu = 0.9;
        for (int t = 1; t <= 4; t++)
        {
            double[] g = TestData.Uniform(20 + t, count);
            using var bg = ops.Upload(g);
            ops.SgdUpdate(bp, bg, bvel, count, new SgdStep((float)lr, (float)mu, weightDecay, nesterov, FirstStep: t == 1));
            for (int i = 0; i < count; i++)
            {
                double gi = g[i] + weightDecay * p[i];
                velocity[i] = t == 1 ? gi : mu * velocity[i] + gi;
                p[i] -= lr * (nesterov ? gi + mu * velocity[i] : velocity[i]);
            }
        }
        AssertClose(p, bp.ToArray(), 1e-6, "parameters");
        AssertClose(velocity, bvel.ToArray(), 1e-6, "velocity");
    }

    [Fact]
    public void InvalidHyperparametersAreClearErrors()
    {
        var ops = fx.Ops;
        using var b = ops.Allocate(4);
        Assert.Throws<ArgumentException>(() => ops.AdamUpdate(b, b, b, b, 4, new AdamStep(1e-3f, 1f, 0.999f, 1e-8f, 0, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ops.AdamUpdate(b, b, b, b, 4, new AdamStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0, 0)));
        Assert.Throws<ArgumentException>(() => ops.SgdUpdate(b, b, b, 5, new SgdStep(0.1f, 0.9f, 0, false, true)));
    }
}
