using Lshk.Kernels.Nn;
using Lshk.Nn;
using Lshk.Nn.Layers;
using Lshk.Tests.Nn.Reference;
using static Lshk.Tests.Nn.Reference.GradientCheck;

namespace Lshk.Tests.Nn;

/// <summary>The sequential network: backward through every layer (float64 reference + central differences), fused against unfused, modes.</summary>
public class SequentialTests(CpuOpsFixture fx) : IClassFixture<CpuOpsFixture>
{
    private static readonly ConvNetConfig Small = new(Blocks: 2, Filters: 6, Dropout: 0.25f, InputSize: 10);

    private static Nchw Input(int batch) => ConvNet.InputShape(Small, batch);

    private static float[] Images(int batch, int seed) => TestData.Uniform(seed, Input(batch).Length).ToFloat();

    [Theory]
    [InlineData(Fusion.ConvBlock, 0f)]
    [InlineData(Fusion.NormReluPool, 0.25f)]
    [InlineData(Fusion.None, 0.25f)]
    public void WholeNetworkMatchesTheFloat64ReferenceWhoseGradientsMatchCentralDifferences(Fusion fusion, float dropout) =>
        AssertMatchesReference(Small with { Dropout = dropout }, fusion, batch: 4);

    /// <summary>
    /// The network's output, input gradient and parameter gradients against <see cref="ReferenceConvNet"/> in float64, and
    /// the reference's own backward against central differences of its forward (h small: no ReLU/pool kink is crossed).
    /// </summary>
    private void AssertMatchesReference(ConvNetConfig config, Fusion fusion, int batch)
    {
        var ops = fx.Ops;
        using var net = ConvNet.Create(ops, config, seed: 3, fusion);
        var shape = ConvNet.InputShape(config, batch);
        double[] x = TestData.Uniform(1, shape.Length);
        double[] r = TestData.Uniform(2, net.OutputShape(shape).Length);
        var theta = net.Parameters.Select(p => p.Value.ToDoubles()).ToArray();
        var reference = new ReferenceConvNet(config, dropoutSeed: 3);

        using var bx = ops.Upload(x);
        float[] y = net.Forward(bx, shape, training: true).ToArray();
        using var br = ops.Upload(r);
        net.ZeroGrad();
        float[] dx = net.Backward(br, inputGradient: true)!.ToArray();
        var (refY, refDx, refDp) = reference.Run(theta, x, batch, r);
        AssertClose(refY, y, 1e-4, "output");
        AssertClose(refDx, dx, 1e-4, "dx");
        foreach (var ((name, p), i) in net.NamedParameters().Select((np, i) => (np, i)))
            AssertClose(refDp[i], p.Grad.ToArray(), 1e-4, name);

        const double h = 1e-6;
        AssertClose(CentralDifferences(v => Weighted(reference.Forward(theta, v, batch), r), x.ToArray(), h), refDx, 1e-6, "reference dx");
        for (int i = 0; i < theta.Length; i++)
        {
            int k = i;
            double[] saved = theta[k];
            double Loss(double[] v)
            {
                theta[k] = v;
                return Weighted(reference.Forward(theta, x, batch), r);
            }
            AssertClose(CentralDifferences(Loss, saved.ToArray(), h), refDp[k], 1e-6, $"reference dθ{k}");
            theta[k] = saved;
        }
    }

    /// <summary>The 2018 study's network: no batch norm (fused as conv → pool → ReLU under ConvBlock), dropout on the embedding.</summary>
    [Theory]
    [InlineData(Fusion.ConvBlock, DropoutPlacement.Embedding)]
    [InlineData(Fusion.ConvBlock, DropoutPlacement.Blocks)]
    [InlineData(Fusion.None, DropoutPlacement.Embedding)]
    public void StudyNetworkMatchesTheFloat64ReferenceWhoseGradientsMatchCentralDifferences(Fusion fusion, DropoutPlacement placement) =>
        AssertMatchesReference(Small with { BatchNorm = false, DropoutAt = placement }, fusion, batch: 3);

    /// <summary>
    /// A last block without its pool (<see cref="ConvNetConfig.FinalPool"/> off): the earlier blocks fuse as usual, the
    /// last runs as conv, batch norm (or not) and ReLU layers, and its whole map is the embedding.
    /// </summary>
    [Theory]
    [InlineData(Fusion.ConvBlock, true, DropoutPlacement.Blocks)]
    [InlineData(Fusion.ConvBlock, false, DropoutPlacement.Embedding)]
    [InlineData(Fusion.None, true, DropoutPlacement.Embedding)]
    public void UnpooledLastBlockMatchesTheFloat64ReferenceWhoseGradientsMatchCentralDifferences(Fusion fusion, bool batchNorm,
        DropoutPlacement placement)
    {
        var config = Small with { FinalPool = false, BatchNorm = batchNorm, DropoutAt = placement };
        Assert.Equal(6 * 5 * 5, config.EmbeddingDim); // 10 → 5 after the first block, the second keeps 5×5
        AssertMatchesReference(config, fusion, batch: 3);
    }

    /// <summary>The unpooled last block's map averaged over its positions (<see cref="ConvNetConfig.GlobalAverage"/>), with and without fusion and dropout.</summary>
    [Theory]
    [InlineData(Fusion.ConvBlock, true, DropoutPlacement.Blocks)]
    [InlineData(Fusion.ConvBlock, true, DropoutPlacement.Embedding)]
    [InlineData(Fusion.None, false, DropoutPlacement.Embedding)]
    public void GlobalAverageMatchesTheFloat64ReferenceWhoseGradientsMatchCentralDifferences(Fusion fusion, bool batchNorm,
        DropoutPlacement placement)
    {
        var config = Small with { FinalPool = false, GlobalAverage = true, BatchNorm = batchNorm, DropoutAt = placement };
        Assert.Equal(6, config.EmbeddingDim); // the second block's 5×5 map, averaged
        AssertMatchesReference(config, fusion, batch: 3);
    }

    /// <summary>Without batch norm the fused step pools before rectifying; max and ReLU commute, so it equals the layers bit for bit.</summary>
    [Fact]
    public void ConvReluPoolStepEqualsTheLayersExactly()
    {
        var ops = fx.Ops;
        var config = Small with { BatchNorm = false, Dropout = 0f };
        using var fused = ConvNet.Create(ops, config, seed: 5, Fusion.ConvBlock);
        using var plain = ConvNet.Create(ops, config, seed: 5, Fusion.None);
        var shape = Input(6);
        using var x = ops.Upload(Images(6, 4));
        Assert.Equal(plain.Forward(x, shape, training: true).ToArray(), fused.Forward(x, shape, training: true).ToArray());
        using var dy = ops.Upload(TestData.Uniform(7, fused.OutputShape(shape).Length));
        fused.ZeroGrad();
        plain.ZeroGrad();
        float[] dxFused = fused.Backward(dy, inputGradient: true)!.ToArray();
        float[] dxPlain = plain.Backward(dy, inputGradient: true)!.ToArray();
        Assert.Equal(dxPlain, dxFused);
        foreach (var ((name, p), (_, q)) in fused.NamedParameters().Zip(plain.NamedParameters()))
            Assert.True(q.Grad.ToArray().SequenceEqual(p.Grad.ToArray()), name);
    }

    [Theory]
    [InlineData(Fusion.ConvBlock)]
    [InlineData(Fusion.NormReluPool)]
    public void FusedAndUnfusedNetworksAgree(Fusion fusion)
    {
        var ops = fx.Ops;
        using var fused = ConvNet.Create(ops, Small, seed: 5, fusion);
        using var plain = ConvNet.Create(ops, Small, seed: 5, fuse: false);
        var shape = Input(6);
        using var x = ops.Upload(Images(6, 4));
        for (int step = 0; step < 2; step++)
        {
            float[] a = fused.Forward(x, shape, training: true).ToArray();
            float[] b = plain.Forward(x, shape, training: true).ToArray();
            AssertClose(b.ToDouble(), a, 1e-4, "output"); // the conv block takes its statistics in another order
            using var dy = ops.Upload(TestData.Uniform(7 + step, a.Length));
            fused.ZeroGrad();
            plain.ZeroGrad();
            fused.Backward(dy);
            plain.Backward(dy);
            foreach (var ((name, p), (_, q)) in fused.NamedParameters().Zip(plain.NamedParameters()))
                AssertClose(q.Grad.ToDoubles(), p.Grad.ToArray(), 1e-4, name);
        }
        AssertClose(((BatchNorm2d)plain.Layers[1]).RunningMean.Buffer.ToDoubles(), ((BatchNorm2d)fused.Layers[1]).RunningMean.Buffer.ToArray(),
            1e-6, "running mean");
        Assert.Equal(2, ((BatchNorm2d)fused.Layers[1]).NumBatchesTracked);
        AssertClose(plain.Forward(x, shape, training: false).ToDoubles(), fused.Forward(x, shape, training: false).ToArray(), 1e-4,
            "evaluation output");
    }

    [Fact]
    public void EvaluationModeIsDeterministicAndLeavesStatisticsAlone()
    {
        var ops = fx.Ops;
        using var net = ConvNet.Create(ops, Small, seed: 6);
        var shape = Input(3);
        using var x = ops.Upload(Images(3, 8));
        var bn = (BatchNorm2d)net.Layers[1];
        float[] before = bn.RunningMean.Buffer.ToArray();
        float[] a = net.Forward(x, shape, training: false).ToArray();
        float[] b = net.Forward(x, shape, training: false).ToArray();
        Assert.Equal(a, b); // dropout off, running statistics
        Assert.Equal(before, bn.RunningMean.Buffer.ToArray());
        Assert.Equal(0, bn.NumBatchesTracked);
        Assert.Throws<InvalidOperationException>(() => net.Backward(x));
        // training mode: dropout masks change between forwards
        float[] t1 = net.Forward(x, shape, training: true).ToArray();
        float[] t2 = net.Forward(x, shape, training: true).ToArray();
        Assert.NotEqual(t1, t2);
    }

    [Fact]
    public void WrongInputIsAClearError()
    {
        using var net = ConvNet.Create(fx.Ops, Small, seed: 1);
        using var x = fx.Ops.Allocate(10);
        Assert.Throws<ArgumentException>(() => net.Forward(x, Input(2), training: false));
        var e = Assert.Throws<ArgumentException>(() => net.OutputShape(new Nchw(2, 3, 10, 10)));
        Assert.Contains("expects 1 input channels, got 3", e.Message);
    }
}
