using Lshk.Kernels.Nn;
using Lshk.Tests.Nn.Reference;
using static Lshk.Tests.Nn.Reference.GradientCheck;

namespace Lshk.Tests.Nn;

/// <summary>CPU batch norm (training and evaluation, running statistics, backward) against the float64 reference.</summary>
public class CpuBatchNormTests(CpuOpsFixture fx) : IClassFixture<CpuOpsFixture>
{
    private const float Eps = 1e-5f;

    internal sealed class Layer : IDisposable
    {
        public Layer(INnOps ops, double[] gamma, double[] beta, double[]? runMean = null, double[]? runVar = null)
        {
            int c = gamma.Length;
            Buffers = new BatchNormBuffers(ops.Upload(gamma), ops.Upload(beta), ops.Upload(runMean ?? new double[c]),
                ops.Upload(runVar ?? Enumerable.Repeat(1.0, c).ToArray()), ops.Allocate(c), ops.Allocate(c), ops.Allocate(c),
                ops.Allocate(c));
        }

        public BatchNormBuffers Buffers { get; }

        public void Dispose()
        {
            foreach (var b in new[] { Buffers.Weight, Buffers.Bias, Buffers.RunningMean, Buffers.RunningVar, Buffers.SavedMean,
                         Buffers.SavedInvStd, Buffers.WeightGrad, Buffers.BiasGrad })
                b.Dispose();
        }
    }

    public static TheoryData<int, int, int, int> Shapes => new() { { 4, 3, 5, 6 }, { 2, 64, 7, 7 }, { 5, 2, 1, 1 }, { 3, 5, 17, 3 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TrainingForwardBackwardAndRunningStatisticsMatchTheReference(int n, int c, int h, int w)
    {
        var ops = fx.Ops;
        var s = new Nchw(n, c, h, w);
        // a large common offset per channel tests the statistics for cancellation
        double[] x = TestData.Uniform(1, s.Length, 2.0).Select((v, i) => (double)(float)(v + 10 * ((i / s.Plane) % c))).ToArray();
        double[] gamma = TestData.Uniform(2, c), beta = TestData.Uniform(3, c), dy = TestData.Uniform(4, s.Length);
        double[] runMean = TestData.Uniform(5, c), runVar = TestData.Uniform(6, c).Select(v => 1 + Math.Abs(v)).ToArray();
        using var layer = new Layer(ops, gamma, beta, runMean, runVar);
        using var bx = ops.Upload(x);
        using var by = ops.Allocate(s.Length);
        const float momentum = 0.1f;
        ops.BatchNormTrainingForward(s, bx, by, layer.Buffers, momentum, Eps);

        var (y, mean, var) = NnReference.BatchNormTraining(s, x, gamma, beta, Eps);
        AssertClose(y, by.ToArray(), 2e-5, "y");
        AssertClose(mean, layer.Buffers.SavedMean.ToArray(), 1e-6, "saved mean");
        AssertClose(var.Select(v => 1 / Math.Sqrt(v + Eps)).ToArray(), layer.Buffers.SavedInvStd.ToArray(), 1e-5, "saved inverse std");
        double m = (double)n * h * w;
        AssertClose(runMean.Select((r, i) => 0.9 * r + 0.1 * mean[i]).ToArray(), layer.Buffers.RunningMean.ToArray(), 1e-6, "running mean");
        AssertClose(runVar.Select((r, i) => 0.9 * r + 0.1 * var[i] * m / (m - 1)).ToArray(), layer.Buffers.RunningVar.ToArray(), 1e-5,
            "running variance (unbiased)");

        using var bdy = ops.Upload(dy);
        using var bdx = ops.Allocate(s.Length);
        ops.BatchNormBackward(s, bx, bdy, bdx, layer.Buffers);
        var (dx, dGamma, dBeta) = NnReference.BatchNormBackward(s, x, gamma, dy, Eps);
        AssertClose(dx, bdx.ToArray(), 5e-5, "dx");
        AssertClose(dGamma, layer.Buffers.WeightGrad.ToArray(), 2e-5, "dgamma");
        AssertClose(dBeta, layer.Buffers.BiasGrad.ToArray(), 2e-5, "dbeta");
    }

    [Fact]
    public void InferenceUsesTheRunningStatistics()
    {
        var ops = fx.Ops;
        var s = new Nchw(3, 4, 3, 5);
        double[] x = TestData.Uniform(10, s.Length, 3), gamma = TestData.Uniform(11, 4), beta = TestData.Uniform(12, 4);
        double[] runMean = TestData.Uniform(13, 4), runVar = TestData.Uniform(14, 4).Select(v => 0.5 + Math.Abs(v)).ToArray();
        using var layer = new Layer(ops, gamma, beta, runMean, runVar);
        using var bx = ops.Upload(x);
        using var by = ops.Allocate(s.Length);
        ops.BatchNormInferenceForward(s, bx, by, layer.Buffers, Eps);
        AssertClose(NnReference.BatchNormInference(s, x, gamma, beta, runMean, runVar, Eps), by.ToArray(), 1e-5, "y");
        AssertClose(runMean, layer.Buffers.RunningMean.ToArray(), 0, "running mean unchanged");
    }

    [Fact]
    public void DirectionalDerivativeOfFloat32TrainingForwardMatchesBackward()
    {
        var ops = fx.Ops;
        var s = new Nchw(3, 4, 5, 5);
        double[] x = TestData.Uniform(20, s.Length, 2), gamma = TestData.Uniform(21, 4), beta = TestData.Uniform(22, 4);
        double[] r = TestData.Uniform(23, s.Length);
        double[] vx = TestData.Uniform(24, x.Length), vg = TestData.Uniform(25, 4), vb = TestData.Uniform(26, 4);
        const double eps = 1e-2;

        double Loss(double sign)
        {
            using var layer = new Layer(ops, gamma.Select((v, i) => v + sign * eps * vg[i]).ToArray(),
                beta.Select((v, i) => v + sign * eps * vb[i]).ToArray());
            using var bx = ops.Upload(x.Select((v, i) => v + sign * eps * vx[i]).ToArray());
            using var by = ops.Allocate(s.Length);
            ops.BatchNormTrainingForward(s, bx, by, layer.Buffers, 0.1f, Eps);
            return Weighted(by.ToArray(), r);
        }

        double numeric = (Loss(1) - Loss(-1)) / (2 * eps);
        using var l = new Layer(ops, gamma, beta);
        using var cx = ops.Upload(x);
        using var cy = ops.Allocate(s.Length);
        using var cr = ops.Upload(r);
        using var dx = ops.Allocate(s.Length);
        ops.BatchNormTrainingForward(s, cx, cy, l.Buffers, 0.1f, Eps);
        ops.BatchNormBackward(s, cx, cr, dx, l.Buffers);
        double analytic = Dot(dx.ToArray(), vx) + Dot(l.Buffers.WeightGrad.ToArray(), vg) + Dot(l.Buffers.BiasGrad.ToArray(), vb);
        Assert.True(Math.Abs(numeric - analytic) <= 2e-3 * Math.Abs(analytic) + 1e-4, $"numeric {numeric}, analytic {analytic}");
    }

    [Fact]
    public void OneValuePerChannelInTrainingIsAClearError()
    {
        var ops = fx.Ops;
        var s = new Nchw(1, 2, 1, 1);
        using var layer = new Layer(ops, [1, 1], [0, 0]);
        using var x = ops.Allocate(2);
        using var y = ops.Allocate(2);
        var e = Assert.Throws<ArgumentException>(() => ops.BatchNormTrainingForward(s, x, y, layer.Buffers, 0.1f, Eps));
        Assert.Contains("more than 1 value per channel", e.Message);
    }
}
