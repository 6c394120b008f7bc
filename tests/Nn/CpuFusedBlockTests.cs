using Lshk.Kernels.Nn;
using Lshk.Kernels.Nn.Cpu;
using Lshk.Tests.Nn.Reference;
using static Lshk.Tests.Nn.Reference.GradientCheck;

namespace Lshk.Tests.Nn;

/// <summary>The fused batch norm + ReLU + max-pool against the unfused operations run in turn.</summary>
public class CpuFusedBlockTests(CpuOpsFixture fx) : IClassFixture<CpuOpsFixture>
{
    private const float Eps = 1e-5f;

    public static TheoryData<int, int, int, int, bool> Cases => new()
    {
        { 3, 4, 6, 8, false }, { 2, 5, 7, 5, false }, { 4, 3, 4, 4, true }, { 2, 64, 3, 3, false }, { 2, 3, 7, 35, false }, { 3, 2, 6, 40, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedEqualsUnfused(int n, int c, int h, int w, bool ties)
    {
        var ops = fx.Ops;
        var s = new Nchw(n, c, h, w);
        // with ties: values from a small set, so windows hold equal maxima and all-negative windows occur
        double[] x = ties
            ? TestData.Uniform(1, s.Length).Select(v => Math.Round(v * 2) / 2).ToArray()
            : TestData.Uniform(1, s.Length, 2);
        double[] gamma = TestData.Uniform(2, c).Select((v, i) => i % 3 == 0 ? -0.5 - Math.Abs(v) : v).ToArray(); // some γ < 0
        double[] beta = TestData.Uniform(3, c), dp = TestData.Uniform(4, s.Pooled.Length);
        using var unfused = new CpuBatchNormTests.Layer(ops, gamma, beta);
        using var fused = new CpuBatchNormTests.Layer(ops, gamma, beta);
        using var bx = ops.Upload(x);

        // unfused: BN → ReLU → pool, and back
        using var bn = ops.Allocate(s.Length);
        using var relu = ops.Allocate(s.Length);
        using var pooled = ops.Allocate(s.Pooled.Length);
        ops.BatchNormTrainingForward(s, bx, bn, unfused.Buffers, 0.1f, Eps);
        ops.ReluForward(bn, relu, s.Length);
        ops.MaxPool2x2Forward(s, relu, pooled);
        using var bdp = ops.Upload(dp);
        using var dRelu = ops.Allocate(s.Length);
        using var dBn = ops.Allocate(s.Length);
        using var dx = ops.Allocate(s.Length);
        ops.MaxPool2x2Backward(s, relu, bdp, dRelu);
        ops.ReluBackward(relu, dRelu, dBn, s.Length);
        ops.BatchNormBackward(s, bx, dBn, dx, unfused.Buffers);

        using var fusedPooled = ops.Allocate(s.Pooled.Length);
        using var fusedDx = ops.Allocate(s.Length);
        ops.BatchNormReluPoolForward(s, bx, fusedPooled, fused.Buffers, training: true, 0.1f, Eps);
        ops.BatchNormReluPoolBackward(s, bx, bdp, fusedDx, fused.Buffers);

        Assert.Equal(pooled.ToArray(), fusedPooled.ToArray()); // bit for bit
        Assert.Equal(unfused.Buffers.RunningMean.ToArray(), fused.Buffers.RunningMean.ToArray());
        Assert.Equal(unfused.Buffers.RunningVar.ToArray(), fused.Buffers.RunningVar.ToArray());
        AssertClose(dx.ToDoubles(), fusedDx.ToArray(), 1e-5, "dx");
        AssertClose(unfused.Buffers.WeightGrad.ToDoubles(), fused.Buffers.WeightGrad.ToArray(), 1e-5, "dgamma");
        AssertClose(unfused.Buffers.BiasGrad.ToDoubles(), fused.Buffers.BiasGrad.ToArray(), 1e-5, "dbeta");

        // evaluation mode
        using var evalBn = ops.Allocate(s.Length);
        using var evalPooled = ops.Allocate(s.Pooled.Length);
        ops.BatchNormInferenceForward(s, bx, evalBn, unfused.Buffers, Eps);
        ops.ReluForward(evalBn, relu, s.Length);
        ops.MaxPool2x2Forward(s, relu, evalPooled);
        ops.BatchNormReluPoolForward(s, bx, fusedPooled, fused.Buffers, training: false, 0.1f, Eps);
        Assert.Equal(evalPooled.ToArray(), fusedPooled.ToArray());
    }

    // batch, cin, height, width, cout, bias: convolutions the fused block recomputes (up to 27 taps; one input channel
    // with an odd count of output channels leaves one for the single-channel correlation after the pairs)
    public static TheoryData<int, int, int, int, int, bool> RecomputedCases => new()
    {
        { 3, 1, 28, 28, 16, true }, { 2, 1, 9, 11, 8, false }, { 2, 1, 10, 8, 7, true }, { 2, 3, 12, 10, 5, true },
        { 2, 2, 6, 17, 33, true },
    };

    [Theory]
    [MemberData(nameof(RecomputedCases))]
    public void RecomputedConvolutionGivesTheStoredPathsBits(int n, int cin, int h, int w, int cout, bool bias)
    {
        var ops = fx.Ops;
        var conv = new Conv2dShape(n, cin, h, w, cout);
        Assert.True(ConvRecompute.Applies(conv));
        var s = conv.Output;
        double[] x = TestData.Uniform(40, conv.InputLength), wt = TestData.Uniform(41, conv.WeightLength, 0.3);
        double[] b = TestData.Uniform(42, cout), gamma = TestData.Uniform(43, cout), beta = TestData.Uniform(44, cout);
        double[] dp = TestData.Uniform(45, s.Pooled.Length);
        float[][] Run(bool stored)
        {
            ops.ForceStoredConv = stored;
            try
            {
                using var layer = new CpuBatchNormTests.Layer(ops, gamma, beta);
                using var bx = ops.Upload(x);
                using var bw = ops.Upload(wt);
                using var bb = bias ? ops.Upload(b) : null;
                using var bdp = ops.Upload(dp);
                using var y = ops.Allocate(conv.OutputLength);
                using var pooled = ops.Allocate(s.Pooled.Length);
                using var dx = ops.Allocate(conv.InputLength);
                using var dw = ops.Allocate(conv.WeightLength);
                using var db = ops.Allocate(cout);
                ops.ConvBlockForward(conv, bx, bw, bb, y, pooled, layer.Buffers, training: true, 0.1f, Eps);
                ops.ConvBlockBackward(conv, bx, bw, bb, y, bdp, dx, dw, bias ? db : null, layer.Buffers);
                using var evalPooled = ops.Allocate(s.Pooled.Length);
                ops.ConvBlockForward(conv, bx, bw, bb, y, evalPooled, layer.Buffers, training: false, 0.1f, Eps);
                return [pooled.ToArray(), dx.ToArray(), dw.ToArray(), db.ToArray(), layer.Buffers.WeightGrad.ToArray(),
                    layer.Buffers.BiasGrad.ToArray(), layer.Buffers.RunningMean.ToArray(), layer.Buffers.RunningVar.ToArray(),
                    evalPooled.ToArray()];
            }
            finally
            {
                ops.ForceStoredConv = false;
            }
        }
        float[][] stored = Run(stored: true), recomputed = Run(stored: false);
        for (int i = 0; i < stored.Length; i++) Assert.Equal(stored[i], recomputed[i]); // bit for bit
        Assert.Contains(stored[0], v => v != 0f); // the pooled outputs are not trivially equal
    }

    [Theory]
    [MemberData(nameof(RecomputedCases))]
    public void WeightGradientFromTheSumsPassEqualsTheProducedOne(int n, int cin, int h, int w, int cout, bool bias)
    {
        // Without an input gradient a recomputed block takes its weight gradient from batch norm's sums pass; with
        // ForceProducedConvGradient it produces the output gradient and runs the convolution's backward as before.
        // An input offset of 20 makes the cancelling terms of the sums-pass form large against the result.
        var ops = fx.Ops;
        var conv = new Conv2dShape(n, cin, h, w, cout);
        var s = conv.Output;
        foreach (double offset in new[] { 0.0, 20.0 })
        {
            double[] x = TestData.Uniform(50, conv.InputLength).Select(v => v + offset).ToArray();
            double[] wt = TestData.Uniform(51, conv.WeightLength, 0.3), b = TestData.Uniform(52, cout);
            double[] gamma = TestData.Uniform(53, cout), beta = TestData.Uniform(54, cout), dp = TestData.Uniform(55, s.Pooled.Length);
            float[][] Run(bool produced)
            {
                ops.ForceProducedConvGradient = produced;
                try
                {
                    using var layer = new CpuBatchNormTests.Layer(ops, gamma, beta);
                    using var bx = ops.Upload(x);
                    using var bw = ops.Upload(wt);
                    using var bb = bias ? ops.Upload(b) : null;
                    using var bdp = ops.Upload(dp);
                    using var y = ops.Allocate(conv.OutputLength);
                    using var pooled = ops.Allocate(s.Pooled.Length);
                    using var dw = ops.Allocate(conv.WeightLength);
                    using var db = ops.Allocate(cout);
                    ops.Fill(dw, 0.25f); // the gradients accumulate
                    ops.Fill(db, -0.5f);
                    ops.ConvBlockForward(conv, bx, bw, bb, y, pooled, layer.Buffers, training: true, 0.1f, Eps);
                    ops.ConvBlockBackward(conv, bx, bw, bb, y, bdp, null, dw, db, layer.Buffers);
                    return [dw.ToArray(), db.ToArray(), layer.Buffers.WeightGrad.ToArray(), layer.Buffers.BiasGrad.ToArray()];
                }
                finally
                {
                    ops.ForceProducedConvGradient = false;
                }
            }
            float[][] produced = Run(produced: true), fromSums = Run(produced: false);
            AssertClose(produced[0].Select(v => (double)v).ToArray(), fromSums[0], 2e-5, $"dw (offset {offset})");
            AssertClose(produced[1].Select(v => (double)v).ToArray(), fromSums[1], 2e-5, $"db (offset {offset})");
            Assert.Equal(produced[2], fromSums[2]); // batch norm's own gradients come from the same sums
            Assert.Equal(produced[3], fromSums[3]);
            Assert.Contains(produced[0], v => Math.Abs(v - 0.25f) > 1e-3f); // a gradient that is not trivially zero
        }
    }

    // batch, cin, size, cout, stride, bias, input offset (a large common offset tests the statistics' precision)
    public static TheoryData<int, int, int, int, int, bool, double> ConvBlockCases => new()
    {
        { 3, 1, 12, 8, 1, true, 0 }, { 2, 5, 9, 6, 1, false, 0 }, { 2, 3, 11, 5, 2, true, 0 }, { 4, 2, 8, 7, 1, true, 50 },
        { 2, 16, 5, 33, 1, true, 0 }, { 2, 32, 7, 40, 1, true, 50 }, { 3, 64, 6, 64, 1, false, 0 }, // the last two: Winograd
    };

    [Theory]
    [MemberData(nameof(ConvBlockCases))]
    public void ConvBlockEqualsConvolutionThenFusedNormReluPool(int n, int cin, int size, int cout, int stride, bool bias,
        double offset)
    {
        var ops = fx.Ops;
        var conv = new Conv2dShape(n, cin, size, size, cout, 3, stride, 1);
        var s = new Nchw(n, cout, conv.OutHeight, conv.OutWidth);
        double[] x = TestData.Uniform(20, conv.InputLength).Select(v => v + offset).ToArray();
        double[] w = TestData.Uniform(21, conv.WeightLength, 0.3), b = TestData.Uniform(22, cout);
        double[] gamma = TestData.Uniform(23, cout), beta = TestData.Uniform(24, cout), dp = TestData.Uniform(25, s.Pooled.Length);
        using var bx = ops.Upload(x);
        using var bw = ops.Upload(w);
        using var bb = bias ? ops.Upload(b) : null;
        using var bdp = ops.Upload(dp);
        using var plain = new CpuBatchNormTests.Layer(ops, gamma, beta);
        using var fused = new CpuBatchNormTests.Layer(ops, gamma, beta);

        // reference order: conv, fused norm-relu-pool, and back
        using var y = ops.Allocate(conv.OutputLength);
        using var pooled = ops.Allocate(s.Pooled.Length);
        using var dy = ops.Allocate(conv.OutputLength);
        using var dx = ops.Allocate(conv.InputLength);
        using var dw = ops.Allocate(conv.WeightLength);
        using var db = ops.Allocate(cout);
        ops.Conv2dForward(conv, bx, bw, bb, y);
        ops.BatchNormReluPoolForward(s, y, pooled, plain.Buffers, training: true, 0.1f, Eps);
        ops.BatchNormReluPoolBackward(s, y, bdp, dy, plain.Buffers);
        ops.Conv2dBackward(conv, bx, bw, dy, dx, dw, bias ? db : null);

        using var y2 = ops.Allocate(conv.OutputLength);
        using var pooled2 = ops.Allocate(s.Pooled.Length);
        using var dx2 = ops.Allocate(conv.InputLength);
        using var dw2 = ops.Allocate(conv.WeightLength);
        using var db2 = ops.Allocate(cout);
        ops.ConvBlockForward(conv, bx, bw, bb, y2, pooled2, fused.Buffers, training: true, 0.1f, Eps);
        ops.ConvBlockBackward(conv, bx, bw, bb, y2, bdp, dx2, dw2, bias ? db2 : null, fused.Buffers);

        if (!ConvRecompute.Applies(conv)) Assert.Equal(y.ToArray(), y2.ToArray()); // a recomputed block leaves it unwritten
        AssertClose(plain.Buffers.SavedMean.ToDoubles(), fused.Buffers.SavedMean.ToArray(), 1e-6, "mean");
        AssertClose(plain.Buffers.SavedInvStd.ToDoubles(), fused.Buffers.SavedInvStd.ToArray(), 1e-4, "inverse std");
        AssertClose(plain.Buffers.RunningVar.ToDoubles(), fused.Buffers.RunningVar.ToArray(), 1e-5, "running variance");
        AssertClose(pooled.ToDoubles(), pooled2.ToArray(), 1e-4, "pooled");
        AssertClose(dx.ToDoubles(), dx2.ToArray(), 1e-4, "dx");
        AssertClose(dw.ToDoubles(), dw2.ToArray(), 1e-4, "dw");
        if (bias) AssertClose(db.ToDoubles(), db2.ToArray(), 1e-4, "db");
        AssertClose(plain.Buffers.WeightGrad.ToDoubles(), fused.Buffers.WeightGrad.ToArray(), 1e-4, "dgamma");

        // evaluation mode, and no input gradient for the network input
        ops.Conv2dForward(conv, bx, bw, bb, y);
        ops.BatchNormReluPoolForward(s, y, pooled, plain.Buffers, training: false, 0.1f, Eps);
        ops.ConvBlockForward(conv, bx, bw, bb, y2, pooled2, plain.Buffers, training: false, 0.1f, Eps);
        Assert.Equal(pooled.ToArray(), pooled2.ToArray());
        using var dw3 = ops.Allocate(conv.WeightLength);
        ops.ConvBlockBackward(conv, bx, bw, bb, y2, bdp, null, dw3, null, fused.Buffers);
        AssertClose(dw2.ToDoubles(), dw3.ToArray(), 1e-5, "dw without dx");
    }
}
