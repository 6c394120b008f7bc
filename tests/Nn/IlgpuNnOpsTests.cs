using System.Runtime.CompilerServices;
using Lshk.Kernels.Nn;
using Lshk.Kernels.Nn.Gpu;
using Lshk.Tests.Gpu;
using Lshk.Tests.Nn.Reference;
using static Lshk.Tests.Nn.Reference.GradientCheck;

namespace Lshk.Tests.Nn;

/// <summary>
/// The ILGPU kernels on ILGPU's CPU simulator against the CPU operations, for every operation forward and backward.
/// Tolerance: 1e-4 relative to the largest expected magnitude (the kernels multiply and add separately where the CPU
/// fuses, and sum in other orders); max-pool, ReLU and dropout agree exactly.
/// </summary>
[Trait(TestGpu.Trait, TestGpu.Kernels)]
[Collection(SimulatorCollection.Name)]
public class IlgpuNnOpsTests(SimulatorFixture fx)
{
    internal const double Tolerance = 1e-4;
    private static readonly ConditionalWeakTable<SimulatorFixture, IlgpuNnOps> Shared = new();
    private static readonly ConditionalWeakTable<SimulatorFixture, Kernels.Nn.Cpu.CpuNnOps> SharedCpu = new();

    /// <summary>One set of operations per simulator, so kernels are compiled once.</summary>
    internal static IlgpuNnOps Gpu(SimulatorFixture fx) => Shared.GetValue(fx, f => new IlgpuNnOps(f.Gpu));

    internal static Kernels.Nn.Cpu.CpuNnOps Cpu(SimulatorFixture fx) => SharedCpu.GetValue(fx, _ => new Kernels.Nn.Cpu.CpuNnOps(2));

    private IlgpuNnOps G => Gpu(fx);
    private Kernels.Nn.Cpu.CpuNnOps C => Cpu(fx);

    /// <summary>The same values on both devices.</summary>
    private (NnBuffer Cpu, NnBuffer Gpu) Pair(double[] values) => (C.Upload(values), G.Upload(values));

    private (NnBuffer Cpu, NnBuffer Gpu) Zeros(int length) => (C.Allocate(length), G.Allocate(length));

    private static void Same((NnBuffer Cpu, NnBuffer Gpu) pair, string what, double tolerance = Tolerance) =>
        AssertClose(pair.Cpu.ToDoubles(), pair.Gpu.ToArray(), tolerance, what);

    private BatchNormBuffers Norm(INnOps ops, double[] gamma, double[] beta) => new(ops.Upload(gamma), ops.Upload(beta),
        ops.Allocate(gamma.Length), ops.Upload(Enumerable.Repeat(1.0, gamma.Length).ToArray()), ops.Allocate(gamma.Length),
        ops.Allocate(gamma.Length), ops.Allocate(gamma.Length), ops.Allocate(gamma.Length));

    private static void SameNorm(BatchNormBuffers cpu, BatchNormBuffers gpu)
    {
        AssertClose(cpu.SavedMean.ToDoubles(), gpu.SavedMean.ToArray(), Tolerance, "saved mean");
        AssertClose(cpu.SavedInvStd.ToDoubles(), gpu.SavedInvStd.ToArray(), Tolerance, "saved inverse std");
        AssertClose(cpu.RunningMean.ToDoubles(), gpu.RunningMean.ToArray(), Tolerance, "running mean");
        AssertClose(cpu.RunningVar.ToDoubles(), gpu.RunningVar.ToArray(), Tolerance, "running variance");
        AssertClose(cpu.WeightGrad.ToDoubles(), gpu.WeightGrad.ToArray(), Tolerance, "dgamma");
        AssertClose(cpu.BiasGrad.ToDoubles(), gpu.BiasGrad.ToArray(), Tolerance, "dbeta");
    }

    public static TheoryData<int, int, int, int, int, int, int, int, bool> ConvShapes => new()
    {
        { 2, 3, 7, 6, 5, 3, 1, 1, true }, { 2, 2, 9, 8, 4, 3, 2, 1, false }, { 1, 4, 5, 5, 3, 1, 1, 0, true },
        { 2, 32, 5, 6, 40, 3, 1, 1, true }, // the CPU takes this one by Winograd's method
    };

    [Theory]
    [MemberData(nameof(ConvShapes))]
    public void ConvolutionAgreesWithCpu(int n, int cin, int h, int w, int cout, int k, int stride, int pad, bool bias)
    {
        var s = new Conv2dShape(n, cin, h, w, cout, k, stride, pad);
        var x = Pair(TestData.Uniform(1, s.InputLength));
        var wt = Pair(TestData.Uniform(2, s.WeightLength));
        var b = bias ? Pair(TestData.Uniform(3, cout)) : default;
        var y = Zeros(s.OutputLength);
        var dy = Pair(TestData.Uniform(4, s.OutputLength));
        var dx = Zeros(s.InputLength);
        var dw = Zeros(s.WeightLength);
        var db = Zeros(cout);
        C.Conv2dForward(s, x.Cpu, wt.Cpu, b.Cpu, y.Cpu);
        G.Conv2dForward(s, x.Gpu, wt.Gpu, b.Gpu, y.Gpu);
        C.Conv2dBackward(s, x.Cpu, wt.Cpu, dy.Cpu, dx.Cpu, dw.Cpu, db.Cpu);
        G.Conv2dBackward(s, x.Gpu, wt.Gpu, dy.Gpu, dx.Gpu, dw.Gpu, db.Gpu);
        G.Conv2dBackward(s, x.Gpu, wt.Gpu, dy.Gpu, null, dw.Gpu, null); // accumulates again
        C.Conv2dBackward(s, x.Cpu, wt.Cpu, dy.Cpu, null, dw.Cpu, null);
        Same(y, "y");
        Same(dx, "dx");
        Same(dw, "dw");
        Same(db, "db");
    }

    [Fact]
    public void BatchNormAgreesWithCpu()
    {
        var s = new Nchw(3, 4, 5, 3);
        double[] gamma = TestData.Uniform(5, 4), beta = TestData.Uniform(6, 4);
        var x = Pair(TestData.Uniform(7, s.Length, 3).Select(v => v + 5).ToArray());
        var dy = Pair(TestData.Uniform(8, s.Length));
        var y = Zeros(s.Length);
        var dx = Zeros(s.Length);
        BatchNormBuffers cn = Norm(C, gamma, beta), gn = Norm(G, gamma, beta);
        C.BatchNormTrainingForward(s, x.Cpu, y.Cpu, cn, 0.1f, 1e-5f);
        G.BatchNormTrainingForward(s, x.Gpu, y.Gpu, gn, 0.1f, 1e-5f);
        Same(y, "training y");
        C.BatchNormBackward(s, x.Cpu, dy.Cpu, dx.Cpu, cn);
        G.BatchNormBackward(s, x.Gpu, dy.Gpu, dx.Gpu, gn);
        Same(dx, "dx");
        SameNorm(cn, gn);
        C.BatchNormInferenceForward(s, x.Cpu, y.Cpu, cn, 1e-5f);
        G.BatchNormInferenceForward(s, x.Gpu, y.Gpu, gn, 1e-5f);
        Same(y, "inference y");
    }

    [Theory]
    [InlineData(2, 3, 6, 8)]
    [InlineData(1, 2, 7, 5)]
    public void ReluPoolAndDropoutAgreeExactly(int n, int c, int h, int w)
    {
        var s = new Nchw(n, c, h, w);
        // a coarse grid of values: ties in windows and exact zeros for the ReLU
        var x = Pair(TestData.Uniform(9, s.Length).Select(v => Math.Round(v * 3) / 3).ToArray());
        var dyPool = Pair(TestData.Uniform(10, s.Pooled.Length));
        var dy = Pair(TestData.Uniform(11, s.Length));
        var relu = Zeros(s.Length);
        var dRelu = Zeros(s.Length);
        var pooled = Zeros(s.Pooled.Length);
        var dPool = Zeros(s.Length);
        var drop = Zeros(s.Length);
        var dDrop = Zeros(s.Length);
        var mask = new DropoutMask(0.7f, 5, 6);
        foreach (INnOps ops in new INnOps[] { C, G })
        {
            bool cpu = ops == C;
            NnBuffer Of((NnBuffer Cpu, NnBuffer Gpu) p) => cpu ? p.Cpu : p.Gpu;
            ops.ReluForward(Of(x), Of(relu), s.Length);
            ops.ReluBackward(Of(relu), Of(dy), Of(dRelu), s.Length);
            ops.MaxPool2x2Forward(s, Of(x), Of(pooled));
            ops.MaxPool2x2Backward(s, Of(x), Of(dyPool), Of(dPool));
            ops.DropoutForward(Of(x), Of(drop), s.Length, mask);
            ops.DropoutBackward(Of(dy), Of(dDrop), s.Length, mask);
        }
        foreach (var (pair, name) in new[] { (relu, "relu"), (dRelu, "relu grad"), (pooled, "pool"), (dPool, "pool grad"), (drop, "dropout"), (dDrop, "dropout grad") })
            Assert.True(pair.Cpu.ToArray().SequenceEqual(pair.Gpu.ToArray()), name);
    }

    [Theory]
    [InlineData(2, 3, 3, 3)]
    [InlineData(3, 4, 9, 11)]
    public void AveragePoolAgreesWithCpuAndTheReference(int n, int c, int h, int w)
    {
        var s = new Nchw(n, c, h, w);
        double[] xs = TestData.Uniform(18, s.Length), dys = TestData.Uniform(19, n * c);
        var (x, dy, y, dx) = (Pair(xs), Pair(dys), Zeros(n * c), Zeros(s.Length));
        foreach (INnOps ops in new INnOps[] { C, G })
        {
            bool cpu = ops == C;
            NnBuffer Of((NnBuffer Cpu, NnBuffer Gpu) p) => cpu ? p.Cpu : p.Gpu;
            var op = NnOpRegistry.Create<IAveragePoolOp>(ops);
            op.Forward(s, Of(x), Of(y));
            op.Backward(s, Of(dy), Of(dx));
        }
        // The sums run in another order on each backend (the CPU's in vector lanes): equal to float rounding.
        GradientCheck.AssertClose(NnReference.AveragePool(s, xs), y.Gpu.ToArray().Select(v => (double)v).ToArray(), 1e-6, "gpu y");
        GradientCheck.AssertClose(NnReference.AveragePool(s, xs), y.Cpu.ToArray().Select(v => (double)v).ToArray(), 1e-6, "cpu y");
        // The backward only divides: bit for bit.
        Assert.Equal(dx.Cpu.ToArray(), dx.Gpu.ToArray());
        GradientCheck.AssertClose(NnReference.AveragePoolBackward(s, dys), dx.Gpu.ToArray().Select(v => (double)v).ToArray(), 1e-6, "gpu dx");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    public void FusedNormReluPoolAndConvBlockAgreeWithCpu(int stride, int seed)
    {
        var conv = new Conv2dShape(3, 2, 9, 8, 5, 3, stride, 1);
        var s = new Nchw(3, 5, conv.OutHeight, conv.OutWidth);
        double[] gamma = TestData.Uniform(12 + seed, 5), beta = TestData.Uniform(13 + seed, 5);
        var x = Pair(TestData.Uniform(14, conv.InputLength));
        var w = Pair(TestData.Uniform(15, conv.WeightLength, 0.5));
        var b = Pair(TestData.Uniform(16, 5));
        var dPooled = Pair(TestData.Uniform(17, s.Pooled.Length));
        var convOut = Zeros(conv.OutputLength);
        var pooled = Zeros(s.Pooled.Length);
        var dConv = Zeros(conv.OutputLength);
        var dx = Zeros(conv.InputLength);
        var dw = Zeros(conv.WeightLength);
        var db = Zeros(5);
        BatchNormBuffers cn = Norm(C, gamma, beta), gn = Norm(G, gamma, beta);

        // fused norm + ReLU + pool on a given tensor
        var input = Pair(TestData.Uniform(18, s.Length));
        C.BatchNormReluPoolForward(s, input.Cpu, pooled.Cpu, cn, true, 0.1f, 1e-5f);
        G.BatchNormReluPoolForward(s, input.Gpu, pooled.Gpu, gn, true, 0.1f, 1e-5f);
        C.BatchNormReluPoolBackward(s, input.Cpu, dPooled.Cpu, dConv.Cpu, cn);
        G.BatchNormReluPoolBackward(s, input.Gpu, dPooled.Gpu, dConv.Gpu, gn);
        Same(pooled, "pooled");
        Same(dConv, "dx");
        SameNorm(cn, gn);
        C.BatchNormReluPoolForward(s, input.Cpu, pooled.Cpu, cn, false, 0.1f, 1e-5f);
        G.BatchNormReluPoolForward(s, input.Gpu, pooled.Gpu, gn, false, 0.1f, 1e-5f);
        Same(pooled, "pooled (evaluation)");

        // the whole conv block
        cn = Norm(C, gamma, beta);
        gn = Norm(G, gamma, beta);
        C.ConvBlockForward(conv, x.Cpu, w.Cpu, b.Cpu, convOut.Cpu, pooled.Cpu, cn, true, 0.1f, 1e-5f);
        G.ConvBlockForward(conv, x.Gpu, w.Gpu, b.Gpu, convOut.Gpu, pooled.Gpu, gn, true, 0.1f, 1e-5f);
        C.ConvBlockBackward(conv, x.Cpu, w.Cpu, b.Cpu, convOut.Cpu, dPooled.Cpu, dx.Cpu, dw.Cpu, db.Cpu, cn);
        G.ConvBlockBackward(conv, x.Gpu, w.Gpu, b.Gpu, convOut.Gpu, dPooled.Gpu, dx.Gpu, dw.Gpu, db.Gpu, gn);
        // (the CPU recomputes this small convolution's output where needed instead of keeping it in convOut)
        Same(pooled, "block output");
        Same(dx, "block dx");
        Same(dw, "block dw");
        Same(db, "block db");
        SameNorm(cn, gn);
    }

    [Fact]
    public void OptimisersAgreeWithCpu()
    {
        const int count = 37;
        var adam = (P: Pair(TestData.Uniform(20, count)), M: Zeros(count), V: Zeros(count));
        var sgd = (P: Pair(TestData.Uniform(21, count)), V: Zeros(count));
        for (int t = 1; t <= 3; t++)
        {
            var g = Pair(TestData.Uniform(22 + t, count));
            var a = new AdamStep(1e-2f, 0.9f, 0.999f, 1e-8f, 1e-3f, t);
            var s = new SgdStep(0.1f, 0.9f, 1e-3f, Nesterov: t == 2, FirstStep: t == 1);
            C.AdamUpdate(adam.P.Cpu, g.Cpu, adam.M.Cpu, adam.V.Cpu, count, a);
            G.AdamUpdate(adam.P.Gpu, g.Gpu, adam.M.Gpu, adam.V.Gpu, count, a);
            C.SgdUpdate(sgd.P.Cpu, g.Cpu, sgd.V.Cpu, count, s);
            G.SgdUpdate(sgd.P.Gpu, g.Gpu, sgd.V.Gpu, count, s);
        }
        Same(adam.P, "Adam parameters", 1e-6);
        Same(adam.V, "Adam second moment", 1e-6);
        Same(sgd.P, "SGD parameters", 1e-6);
        Same(sgd.V, "SGD velocity", 1e-6);
    }

    [Fact]
    public void PrototypicalLossAgreesWithCpu()
    {
        var ep = new EpisodeShape(4, 2, 3, 8);
        var e = Pair(TestData.Uniform(30, ep.Batch * ep.Dim));
        var de = Zeros(ep.Batch * ep.Dim);
        var cpu = C.PrototypicalLoss(e.Cpu, ep, de.Cpu);
        var gpu = G.PrototypicalLoss(e.Gpu, ep, de.Gpu);
        Assert.Equal(cpu.Loss, gpu.Loss, 1e-4);
        Assert.Equal(cpu.Accuracy, gpu.Accuracy);
        Same(de, "de");
    }

    [Theory]
    [InlineData(CosineLossMode.Matching)]
    [InlineData(CosineLossMode.CosineMean)]
    [InlineData(CosineLossMode.CosineMean, 0.3f)]
    public void CosineLossesAgreeWithCpu(CosineLossMode mode, float margin = 0f)
    {
        var ep = new EpisodeShape(4, 3, 2, 8);
        double[] values = TestData.Uniform(31, ep.Batch * ep.Dim);
        for (int j = 0; j < ep.Dim; j++) values[(ep.Shots + 1) * ep.Dim + j] = 0; // a zero query embedding
        var e = Pair(values);
        var de = Zeros(ep.Batch * ep.Dim);
        var (cpu, gpu) = mode == CosineLossMode.Matching
            ? (C.MatchingLoss(e.Cpu, ep, 10f, de.Cpu), G.MatchingLoss(e.Gpu, ep, 10f, de.Gpu))
            : (C.CosineMeanLoss(e.Cpu, ep, 10f, de.Cpu, margin), G.CosineMeanLoss(e.Gpu, ep, 10f, de.Gpu, margin));
        Assert.Equal(cpu.Loss, gpu.Loss, 1e-4);
        Assert.Equal(cpu.Accuracy, gpu.Accuracy);
        Same(de, "de");
    }

    [Fact]
    public void ForeignBuffersAreRejected()
    {
        using var cpuBuffer = C.Allocate(4);
        var e = Assert.Throws<ArgumentException>(() => G.Fill(cpuBuffer, 1f));
        Assert.Contains("cannot be used by these ILGPU operations", e.Message);
    }
}
