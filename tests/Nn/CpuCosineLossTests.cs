using Lshk.Kernels.Nn;
using Lshk.Tests.Nn.Reference;
using static Lshk.Tests.Nn.Reference.GradientCheck;

namespace Lshk.Tests.Nn;

/// <summary>
/// The CPU matching and cosine-mean losses against the float64 reference (loss, accuracy), central differences of
/// that reference (gradient), a directional derivative of the float32 op, and hand-computed cases.
/// </summary>
public class CpuCosineLossTests(CpuOpsFixture fx) : IClassFixture<CpuOpsFixture>
{
    private static (float Loss, float Accuracy) Run(INnOps ops, CosineLossMode mode, NnBuffer e, EpisodeShape ep, float scale, NnBuffer de,
        float margin = 0f) =>
        mode == CosineLossMode.Matching ? ops.MatchingLoss(e, ep, scale, de) : ops.CosineMeanLoss(e, ep, scale, de, margin);

    /// <summary>Uniform test values rounded to float32, so the reference sees exactly what the op sees.</summary>
    private static double[] Embeddings(int seed, int count) => TestData.Uniform(seed, count).ToFloat().Select(v => (double)v).ToArray();

    [Theory]
    [InlineData(CosineLossMode.Matching, 10f)]
    [InlineData(CosineLossMode.Matching, 2.5f)]
    [InlineData(CosineLossMode.CosineMean, 10f)]
    [InlineData(CosineLossMode.CosineMean, 2.5f)]
    [InlineData(CosineLossMode.CosineMean, 10f, 0.3f)] // --hash-code-margin
    public void LossAccuracyAndGradientMatchTheFloat64Reference(CosineLossMode mode, float scale, float margin = 0f)
    {
        var ops = fx.Ops;
        var ep = new EpisodeShape(4, 3, 2, 6);
        double[] e = Embeddings(11, ep.Batch * ep.Dim);
        using var be = ops.Upload(e);
        using var bd = ops.Allocate(e.Length);
        var (loss, accuracy) = Run(ops, mode, be, ep, scale, bd, margin);

        Assert.Equal(CosineLossReference.Loss(e, ep, mode, scale, margin), loss, 1e-5);
        Assert.Equal(CosineLossReference.Accuracy(e, ep, mode, scale, margin), accuracy, 1e-6);
        var numeric = CentralDifferences(v => CosineLossReference.Loss(v, ep, mode, scale, margin), e);
        AssertClose(numeric, bd.ToDoubles(), 1e-4, "de");
    }

    [Theory]
    [InlineData(CosineLossMode.Matching)]
    [InlineData(CosineLossMode.CosineMean)]
    public void DirectionalDerivativeOfTheFloat32LossMatchesItsGradient(CosineLossMode mode)
    {
        var ops = fx.Ops;
        var ep = new EpisodeShape(5, 2, 3, 8);
        double[] e = TestData.Uniform(12, ep.Batch * ep.Dim), v = TestData.Uniform(13, e.Length);
        using var grad = ops.Allocate(e.Length);
        // the loss comes back as a float: rounding (~1e-7 relative) and curvature (O(eps²)) bound the agreement
        const double eps = 3e-3;

        double Loss(double sign)
        {
            using var be = ops.Upload(e.Select((x, i) => x + sign * eps * v[i]).ToArray());
            return Run(ops, mode, be, ep, 10f, grad).Loss;
        }

        double numeric = (Loss(1) - Loss(-1)) / (2 * eps);
        using var b0 = ops.Upload(e);
        Run(ops, mode, b0, ep, 10f, grad);
        double analytic = Dot(grad.ToArray(), v);
        Assert.True(Math.Abs(numeric - analytic) <= 5e-3 * Math.Abs(analytic), $"numeric {numeric}, analytic {analytic}");
    }

    [Theory]
    [InlineData(CosineLossMode.Matching)]
    [InlineData(CosineLossMode.CosineMean)]
    public void GradientIsOrthogonalToEachEmbeddingBecauseCosinesIgnoreLength(CosineLossMode mode)
    {
        var ops = fx.Ops;
        var ep = new EpisodeShape(3, 2, 2, 5);
        double[] e = TestData.Uniform(14, ep.Batch * ep.Dim);
        using var be = ops.Upload(e);
        using var bd = ops.Allocate(e.Length);
        Run(ops, mode, be, ep, 10f, bd);
        var de = bd.ToArray();
        for (int i = 0; i < ep.Batch; i++)
        {
            double radial = 0, size = 0;
            for (int j = 0; j < ep.Dim; j++)
            {
                radial += e[i * ep.Dim + j] * de[i * ep.Dim + j];
                size += Math.Abs(e[i * ep.Dim + j] * de[i * ep.Dim + j]);
            }
            Assert.True(Math.Abs(radial) <= 1e-5 * Math.Max(size, 1e-6), $"row {i}: e·de = {radial}");
        }
    }

    [Theory]
    [InlineData(CosineLossMode.Matching)]
    [InlineData(CosineLossMode.CosineMean)]
    public void HandComputedOneShotEpisode(CosineLossMode mode)
    {
        var ops = fx.Ops;
        // 2-way 1-shot 1-query in 2-d: supports (1,0) and (0,2), queries (3,0) and (0,1): each query has cosine 1 with
        // its own support and 0 with the other, so logits (10, 0) and (0, 10) under either loss
        var ep = new EpisodeShape(2, 1, 1, 2);
        using var be = ops.Upload(new float[] { 1, 0, 3, 0, 0, 2, 0, 1 });
        using var bd = ops.Allocate(8);
        var (loss, accuracy) = Run(ops, mode, be, ep, 10f, bd);
        Assert.Equal(Math.Log(1 + Math.Exp(-10)), loss, 1e-6);
        Assert.Equal(1f, accuracy);

        // the wrong way round: each query points at the other class's support → logits (0, 10), accuracy 0
        using var swapped = ops.Upload(new float[] { 1, 0, 0, 3, 0, 2, 1, 0 });
        var (swappedLoss, swappedAccuracy) = Run(ops, mode, swapped, ep, 10f, bd);
        Assert.Equal(Math.Log(1 + Math.Exp(10)), swappedLoss, 1e-5);
        Assert.Equal(0f, swappedAccuracy);
    }

    [Theory]
    [InlineData(CosineLossMode.Matching)]
    [InlineData(CosineLossMode.CosineMean)]
    public void ZeroEmbeddingsGiveCosineZeroAndAFiniteGradient(CosineLossMode mode)
    {
        var ops = fx.Ops;
        // every cosine 0: each class gets probability 1/ways, loss log 3, accuracy by ties to the lower class = 1/3
        var ep = new EpisodeShape(3, 2, 1, 4);
        using var zero = ops.Allocate(ep.Batch * ep.Dim);
        using var bd = ops.Allocate(ep.Batch * ep.Dim);
        var (loss, accuracy) = Run(ops, mode, zero, ep, 10f, bd);
        Assert.Equal(Math.Log(3), loss, 1e-6);
        Assert.Equal(1f / 3, accuracy, 1e-6);
        Assert.All(bd.ToArray(), g => Assert.Equal(0f, g)); // n = 0 everywhere, so every dn is 0

        // one zero support among ordinary embeddings: its gradient is finite and equals central differences
        double[] e = Embeddings(15, ep.Batch * ep.Dim);
        for (int j = 0; j < ep.Dim; j++) e[j] = 0;
        using var be = ops.Upload(e);
        Run(ops, mode, be, ep, 10f, bd);
        Assert.All(bd.ToArray(), g => Assert.True(float.IsFinite(g)));
        var rest = Enumerable.Range(ep.Dim, e.Length - ep.Dim).ToArray();
        var zeroRow = Enumerable.Range(0, ep.Dim).ToArray();
        var actual = bd.ToDoubles();
        AssertClose(CentralDifferences(v => CosineLossReference.Loss(v, ep, mode, 10), e, indices: rest), actual, 1e-4, "de", rest);
        // near e = 0 the normalisation is e/√ε, steep but smooth: a step far below √ε = 1e-4 sees it linear
        var nearZero = CentralDifferences(v => CosineLossReference.Loss(v, ep, mode, 10), e, h: 1e-8, indices: zeroRow);
        Assert.True(zeroRow.Max(j => Math.Abs(nearZero[j])) > 1, "the zero row's gradient is large, not vanishing");
        AssertClose(nearZero, actual, 1e-4, "de of the zero row", zeroRow);
    }

    [Fact]
    public void NonPositiveScaleIsRejected()
    {
        var ops = fx.Ops;
        var ep = new EpisodeShape(2, 1, 1, 2);
        using var be = ops.Allocate(ep.Batch * ep.Dim);
        using var bd = ops.Allocate(ep.Batch * ep.Dim);
        var error = Assert.Throws<ArgumentException>(() => ops.MatchingLoss(be, ep, 0f, bd));
        Assert.Contains("scale must be positive", error.Message);
        Assert.Throws<ArgumentException>(() => ops.CosineMeanLoss(be, ep, float.NaN, bd));
    }

    [Fact]
    public void AMarginIsAHandComputedShiftOfTheTrueLogit()
    {
        // Two classes, one shot, one query; 2-d rows: support 0 = (1, 0), support 1 = (0, 1), the class-0 query at
        // 60° from support 0 and 30° from support 1 (so it is misranked). Logits 10·cos: 5 and 10·√3/2. With a margin
        // of 0.2 the loss's softmax sees 10·(0.5 − 0.2) = 3 for the true class: L = log(e³ + e^(5√3)) − 3.
        var ops = fx.Ops;
        var ep = new EpisodeShape(2, 1, 1, 2);
        double c30 = Math.Sqrt(3) / 2;
        float[] rows = [1f, 0f, 0.5f, (float)c30, 0f, 1f, 0f, 1f];
        using var be = ops.Upload(rows.Select(v => (double)v).ToArray());
        using var bd = ops.Allocate(rows.Length);
        var plain = ops.CosineMeanLoss(be, ep, 10f, bd);
        var margined = ops.CosineMeanLoss(be, ep, 10f, bd, 0.2f);
        double query0 = Math.Log(Math.Exp(3) + Math.Exp(10 * c30)) - 3;
        double query0Plain = Math.Log(Math.Exp(5) + Math.Exp(10 * c30)) - 5;
        // The class-1 query sits on its support: cosines 0 and 1.
        double query1 = Math.Log(Math.Exp(0) + Math.Exp(10 - 2)) - 8, query1Plain = Math.Log(1 + Math.Exp(10)) - 10;
        Assert.Equal((query0Plain + query1Plain) / 2, plain.Loss, 1e-5);
        Assert.Equal((query0 + query1) / 2, margined.Loss, 1e-5);
        // The accuracy is of the plain logits: one of two right either way.
        Assert.Equal(0.5f, plain.Accuracy);
        Assert.Equal(0.5f, margined.Accuracy);
        Assert.Throws<ArgumentException>(() => ops.CosineMeanLoss(be, ep, 10f, bd, -0.1f));
    }
}
