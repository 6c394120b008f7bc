using Lshk.Kernels.Nn;
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
}
