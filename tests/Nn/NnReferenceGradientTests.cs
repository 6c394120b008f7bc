using Lshk.Kernels.Nn;
using Lshk.Tests.Nn.Reference;
using static Lshk.Tests.Nn.Reference.GradientCheck;

namespace Lshk.Tests.Nn;

/// <summary>
/// The float64 reference backward passes against central differences of the reference forwards (the check the
/// float32 operations inherit when they are compared with the reference).
/// </summary>
public class NnReferenceGradientTests
{
    private const double Tolerance = 1e-7;

    public static TheoryData<int, int, int, bool> ConvCases => new()
    {
        { 3, 1, 1, true }, { 3, 1, 0, false }, { 3, 2, 1, true }, { 1, 1, 0, true }, { 5, 2, 2, false }, { 2, 3, 1, true },
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void ConvolutionGradientsMatchCentralDifferences(int kernel, int stride, int padding, bool bias)
    {
        var s = new Conv2dShape(2, 3, 6, 7, 4, kernel, stride, padding);
        double[] x = TestData.Uniform(1, s.InputLength), w = TestData.Uniform(2, s.WeightLength);
        double[]? b = bias ? TestData.Uniform(3, s.OutChannels) : null;
        double[] r = TestData.Uniform(4, s.OutputLength);
        var (dx, dw, db) = NnReference.Conv2dBackward(s, x, w, r);

        AssertClose(CentralDifferences(v => Weighted(NnReference.Conv2dForward(s, v, w, b), r), x), dx, Tolerance, "dx");
        AssertClose(CentralDifferences(v => Weighted(NnReference.Conv2dForward(s, x, v, b), r), w), dw, Tolerance, "dw");
        if (b is not null)
            AssertClose(CentralDifferences(v => Weighted(NnReference.Conv2dForward(s, x, w, v), r), b), db, Tolerance, "db");
    }

    [Fact]
    public void BatchNormTrainingGradientsMatchCentralDifferences()
    {
        var s = new Nchw(3, 2, 3, 4);
        const double eps = 1e-5;
        double[] x = TestData.Uniform(5, s.Length, 2.0), gamma = TestData.Uniform(6, 2), beta = TestData.Uniform(7, 2);
        double[] r = TestData.Uniform(8, s.Length);
        var (dx, dGamma, dBeta) = NnReference.BatchNormBackward(s, x, gamma, r, eps);

        double Loss(double[] xv, double[] g, double[] bv) => Weighted(NnReference.BatchNormTraining(s, xv, g, bv, eps).Y, r);
        AssertClose(CentralDifferences(v => Loss(v, gamma, beta), x, 1e-5), dx, 1e-6, "dx");
        AssertClose(CentralDifferences(v => Loss(x, v, beta), gamma), dGamma, Tolerance, "dgamma");
        AssertClose(CentralDifferences(v => Loss(x, gamma, v), beta), dBeta, Tolerance, "dbeta");
    }

    [Fact]
    public void BatchNormOutputHasZeroMeanAndUnitVariancePerChannel()
    {
        var s = new Nchw(4, 3, 2, 5);
        double[] x = TestData.Uniform(9, s.Length, 3.0).Select((v, i) => v + i % 7).ToArray();
        var (y, _, _) = NnReference.BatchNormTraining(s, x, [1, 1, 1], [0, 0, 0], 0);
        var (mean, var) = NnReference.ChannelMoments(s, y);
        Assert.All(mean, m => Assert.Equal(0, m, 1e-12));
        Assert.All(var, v => Assert.Equal(1, v, 1e-9));
    }

    [Fact]
    public void ReluGradientMatchesCentralDifferences()
    {
        double[] x = TestData.AwayFromZero(10, 50), r = TestData.Uniform(11, 50);
        AssertClose(CentralDifferences(v => Weighted(NnReference.Relu(v), r), x), NnReference.ReluBackward(x, r), Tolerance, "dx");
    }

    [Theory]
    [InlineData(4, 6)]
    [InlineData(5, 7)]
    public void MaxPoolGradientMatchesCentralDifferences(int h, int w)
    {
        var s = new Nchw(2, 2, h, w);
        // distinct values with gaps of 0.01, so no window has a tie within the difference step
        var rng = new System.Random(12);
        double[] x = Enumerable.Range(0, s.Length).OrderBy(_ => rng.Next()).Select(i => i * 0.01).ToArray();
        double[] r = TestData.Uniform(13, s.Pooled.Length);
        AssertClose(CentralDifferences(v => Weighted(NnReference.MaxPool(s, v), r), x, 1e-4),
            NnReference.MaxPoolBackward(s, x, r), Tolerance, "dx");
    }

    [Theory]
    [InlineData(3, 3)]
    [InlineData(4, 5)]
    public void AveragePoolGradientMatchesCentralDifferences(int h, int w)
    {
        var s = new Nchw(2, 3, h, w);
        double[] x = TestData.Uniform(14, s.Length), r = TestData.Uniform(15, s.Batch * s.Channels);
        AssertClose(CentralDifferences(v => Weighted(NnReference.AveragePool(s, v), r), x), NnReference.AveragePoolBackward(s, r), Tolerance, "dx");
    }

    [Fact]
    public void DropoutGradientMatchesCentralDifferences()
    {
        var mask = new DropoutMask(0.8f, 3, 4);
        double[] x = TestData.Uniform(14, 64), r = TestData.Uniform(15, 64);
        AssertClose(CentralDifferences(v => Weighted(NnReference.Dropout(v, mask), r), x), NnReference.Dropout(r, mask), Tolerance, "dx");
    }

    [Fact]
    public void PrototypicalLossGradientMatchesCentralDifferences()
    {
        var ep = new EpisodeShape(3, 2, 2, 5);
        double[] e = TestData.Uniform(16, ep.Batch * ep.Dim);
        var (_, grad) = NnReference.PrototypicalLossAndGradient(e, ep);
        AssertClose(CentralDifferences(v => NnReference.PrototypicalLoss(v, ep), e), grad, Tolerance, "de");
    }
}
