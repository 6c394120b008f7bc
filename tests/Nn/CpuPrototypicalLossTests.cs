using Lshk.Kernels.Nn;
using Lshk.Tests.Nn.Reference;
using static Lshk.Tests.Nn.Reference.GradientCheck;

namespace Lshk.Tests.Nn;

/// <summary>The CPU prototypical loss against the float64 reference and a hand-computed case.</summary>
public class CpuPrototypicalLossTests(CpuOpsFixture fx) : IClassFixture<CpuOpsFixture>
{
    [Theory]
    [InlineData(16)]
    [InlineData(13)] // two vectors' block, one vector and a scalar left over
    [InlineData(130)]
    public void LossGradientAndAccuracyMatchTheReference(int dim)
    {
        var ops = fx.Ops;
        var ep = new EpisodeShape(5, 3, 4, dim);
        double[] e = TestData.Uniform(1, ep.Batch * ep.Dim);
        using var be = ops.Upload(e);
        using var bd = ops.Allocate(e.Length);
        var (loss, accuracy) = ops.PrototypicalLoss(be, ep, bd);
        var (refLoss, refGrad) = NnReference.PrototypicalLossAndGradient(e, ep);
        Assert.Equal(refLoss, loss, 1e-5);
        AssertClose(refGrad, bd.ToArray(), 1e-5, "de");
        Assert.InRange(accuracy, 0f, 1f);
    }

    [Fact]
    public void DirectionalDerivativeOfTheFloat32LossMatchesItsGradient()
    {
        var ops = fx.Ops;
        var ep = new EpisodeShape(4, 2, 2, 6);
        double[] e = TestData.Uniform(2, ep.Batch * ep.Dim), v = TestData.Uniform(3, e.Length);
        using var grad = ops.Allocate(e.Length);
        // the loss comes back as a float: rounding (~1e-7 relative) and curvature (O(eps²)) bound the agreement to ~2e-3
        const double eps = 3e-3;

        double Loss(double sign)
        {
            using var be = ops.Upload(e.Select((x, i) => x + sign * eps * v[i]).ToArray());
            return ops.PrototypicalLoss(be, ep, grad).Loss;
        }

        double numeric = (Loss(1) - Loss(-1)) / (2 * eps);
        using var b0 = ops.Upload(e);
        ops.PrototypicalLoss(b0, ep, grad);
        double analytic = Dot(grad.ToArray(), v);
        Assert.True(Math.Abs(numeric - analytic) <= 3e-3 * Math.Abs(analytic), $"numeric {numeric}, analytic {analytic}");
    }

    [Fact]
    public void SeparatedClassesGiveTinyLossAndFullAccuracy()
    {
        var ops = fx.Ops;
        // 2-way 1-shot 1-query in 1-d: supports at 0 and 10, queries at 0 and 10 → logits (0, −100) and (−100, 0)
        var ep = new EpisodeShape(2, 1, 1, 1);
        using var be = ops.Upload(new float[] { 0, 0, 10, 10 });
        using var bd = ops.Allocate(4);
        var (loss, accuracy) = ops.PrototypicalLoss(be, ep, bd);
        Assert.Equal(Math.Log(1 + Math.Exp(-100)), loss, 1e-12);
        Assert.Equal(1f, accuracy);

        // all embeddings equal: every logit 0, loss log 2, accuracy by ties to the lower class = 1/2
        using var flat = ops.Upload(new float[] { 1, 1, 1, 1 });
        var (flatLoss, flatAccuracy) = ops.PrototypicalLoss(flat, ep, bd);
        Assert.Equal(Math.Log(2), flatLoss, 1e-6);
        Assert.Equal(0.5f, flatAccuracy);
    }
}
