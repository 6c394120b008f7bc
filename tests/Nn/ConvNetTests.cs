using Lshk.Kernels.Nn;
using Lshk.Nn;
using Lshk.Nn.Layers;

namespace Lshk.Tests.Nn;

/// <summary>The Conv-4 builder: layer order, PyTorch names and shapes, options, and seeded PyTorch-default initialisation.</summary>
public class ConvNetTests(CpuOpsFixture fx) : IClassFixture<CpuOpsFixture>
{
    [Fact]
    public void Conv4HasPyTorchsLayerOrderNamesAndShapes()
    {
        using var net = ConvNet.Create(fx.Ops, new ConvNetConfig(), seed: 1);
        Assert.Equal(17, net.Layers.Count);
        Assert.Equal(new[] { "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d" }, net.Layers.Take(4).Select(l => l.Kind));
        Assert.Equal("Flatten", net.Layers[^1].Kind);
        var names = net.NamedParameters().Select(p => $"{p.Name}:{string.Join('x', p.Parameter.Shape)}").ToArray();
        Assert.Equal(new[] { "0.weight:64x1x3x3", "0.bias:64", "1.weight:64", "1.bias:64", "4.weight:64x64x3x3" }, names.Take(5));
        Assert.Equal(16, names.Length);
        Assert.Equal(new Nchw(5, 64, 1, 1), net.OutputShape(new Nchw(5, 1, 28, 28)));
        Assert.Equal(64, new ConvNetConfig().EmbeddingDim);
        // 64·9+64 + 3·(64·64·9+64) + 4·2·64 parameters
        Assert.Equal(640 + 3 * 36928 + 512, net.Parameters.Sum(p => p.Length));
    }

    [Fact]
    public void OptionsChangeBlocksFiltersAndDropout()
    {
        var config = new ConvNetConfig(Blocks: 3, Filters: 32, Dropout: 0.2f);
        using var net = ConvNet.Create(fx.Ops, config, seed: 1);
        Assert.Equal(3 * 5 + 1, net.Layers.Count);
        Assert.IsType<Dropout>(net.Layers[4]);
        Assert.Equal(0.2f, ((Dropout)net.Layers[4]).Probability);
        Assert.Equal(32 * 3 * 3, config.EmbeddingDim);
        Assert.Equal("5.weight", net.NamedParameters().ElementAt(4).Name); // the next conv is layer 5
        Assert.Contains("dropout(0.2)", config.Describe());
        var e = Assert.Throws<Lshk.Core.InputException>(() => new ConvNetConfig(Blocks: 5).Validate());
        Assert.Contains("block 5 gets 1×1", e.Message);
    }

    [Fact]
    public void InitialisationIsPyTorchsDefaultAndSeeded()
    {
        using var a = ConvNet.Create(fx.Ops, new ConvNetConfig(), seed: 7);
        using var b = ConvNet.Create(fx.Ops, new ConvNetConfig(), seed: 7);
        using var c = ConvNet.Create(fx.Ops, new ConvNetConfig(), seed: 8);
        var conv0 = (Conv2d)a.Layers[0];
        var conv1 = (Conv2d)a.Layers[4];
        float[] w0 = conv0.Weight.Value.ToArray(), w1 = conv1.Weight.Value.ToArray();
        // bounds 1/√fan_in: fan_in 9 for the first block, 576 after
        Assert.All(w0, v => Assert.InRange(v, -1f / 3, 1f / 3));
        Assert.All(w1, v => Assert.InRange(v, -1f / 24, 1f / 24));
        Assert.All(conv1.Bias!.Value.ToArray(), v => Assert.InRange(v, -1f / 24, 1f / 24));
        // roughly uniform: variance bound²/3
        double var1 = w1.Select(v => (double)v * v).Average();
        Assert.InRange(var1, 0.95 / (3 * 576.0), 1.05 / (3 * 576.0));
        Assert.Equal(w1, ((Conv2d)b.Layers[4]).Weight.Value.ToArray());
        Assert.NotEqual(w1, ((Conv2d)c.Layers[4]).Weight.Value.ToArray());
        Assert.NotEqual(w1.Take(64), ((Conv2d)a.Layers[8]).Weight.Value.ToArray().Take(64)); // layers draw different streams
        var bn = (BatchNorm2d)a.Layers[1];
        Assert.All(bn.Weight.Value.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(bn.Bias.Value.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(bn.RunningVar.Buffer.ToArray(), v => Assert.Equal(1f, v));
    }
}
