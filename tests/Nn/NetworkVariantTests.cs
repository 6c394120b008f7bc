using Lshk.Kernels.Nn;
using Lshk.Nn;
using Lshk.Nn.Layers;
using Lshk.Nn.ModelFiles;
using Lshk.Nn.Optimisers;
using Lshk.Tests.Nn.Reference;

namespace Lshk.Tests.Nn;

/// <summary>
/// The 2018 study's network switches: no batch norm (the conv bias alone), one dropout on the embedding. Their layer
/// order and PyTorch names, their metadata (written only when not the default, read back, refused when malformed),
/// and identical embeddings after saving and loading a trained network.
/// </summary>
public class NetworkVariantTests(CpuOpsFixture fx) : IClassFixture<CpuOpsFixture>
{
    private static readonly ConvNetConfig Study = new(Blocks: 3, Filters: 8, Dropout: 0.2f, InputSize: 14, BatchNorm: false,
        DropoutAt: DropoutPlacement.Embedding);

    [Fact]
    public void WithoutBatchNormEachBlockIsConvReluPoolWithTheConvBias()
    {
        using var net = ConvNet.Create(fx.Ops, new ConvNetConfig(BatchNorm: false), seed: 1);
        Assert.Equal(4 * 3 + 1, net.Layers.Count);
        Assert.Equal(new[] { "Conv2d", "ReLU", "MaxPool2d", "Conv2d" }, net.Layers.Take(4).Select(l => l.Kind));
        Assert.DoesNotContain(net.Layers, l => l is BatchNorm2d);
        var names = net.NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(new[] { "0.weight", "0.bias", "3.weight", "3.bias" }, names.Take(4));
        // 64·9+64 + 3·(64·64·9+64): the batch norm's 2·64 per block are gone, the biases stay.
        Assert.Equal(640 + 3 * 36928, net.Parameters.Sum(p => p.Length));
        Assert.Equal("conv4: 4×[conv3x3(64)+relu+maxpool2], input 1×28×28, embedding 64", new ConvNetConfig(BatchNorm: false).Describe());
    }

    [Fact]
    public void EmbeddingDropoutIsOneLayerAfterFlatten()
    {
        using var net = ConvNet.Create(fx.Ops, Study, seed: 1);
        Assert.Equal(3 * 3 + 2, net.Layers.Count);
        Assert.Equal(new[] { "Flatten", "Dropout" }, net.Layers.TakeLast(2).Select(l => l.Kind));
        Assert.Single(net.Layers.OfType<Dropout>());
        Assert.Equal(0.2f, ((Dropout)net.Layers[^1]).Probability);
        Assert.Equal("conv3: 3×[conv3x3(8)+relu+maxpool2]+dropout(0.2), input 1×14×14, embedding 8", Study.Describe());

        // In training, each embedding value is 0 or its evaluation-mode value / 0.8 (inverted dropout, keep 0.8).
        var shape = ConvNet.InputShape(Study, 6);
        using var x = fx.Ops.Upload(TestData.Uniform(3, shape.Length));
        float[] plain = net.Forward(x, shape, training: false).ToArray();
        float[] dropped = net.Forward(x, shape, training: true).ToArray();
        int zeroed = 0;
        for (int i = 0; i < plain.Length; i++)
        {
            if (dropped[i] == 0f && plain[i] != 0f) zeroed++;
            else Assert.Equal(plain[i] / 0.8f, dropped[i], 5);
        }
        Assert.InRange(zeroed, 1, plain.Length / 2); // 48 values, 20% expected dropped
    }

    [Fact]
    public void WithoutTheFinalPoolTheLastBlockKeepsItsMap()
    {
        var config = new ConvNetConfig(FinalPool: false);
        using var net = ConvNet.Create(fx.Ops, config, seed: 1);
        Assert.Equal(4 * 4 - 1 + 1, net.Layers.Count);
        Assert.Equal(new[] { "Conv2d", "BatchNorm2d", "ReLU", "Flatten" }, net.Layers.TakeLast(4).Select(l => l.Kind));
        Assert.Equal(3, net.Layers.OfType<MaxPool2d>().Count());
        // The parameters and their PyTorch names do not move: the missing pool is the last block's last layer.
        Assert.Equal(ConvNet.Create(fx.Ops, new ConvNetConfig(), seed: 1).NamedParameters().Select(p => p.Name),
            net.NamedParameters().Select(p => p.Name));
        Assert.Equal(3, config.OutputSize); // 28 → 14 → 7 → 3, then no pool
        Assert.Equal(576, config.EmbeddingDim);
        Assert.Equal("conv4: 4×[conv3x3(64)+bn+relu+maxpool2] (no pool after the last), input 1×28×28, embedding 576", config.Describe());
        var shape = ConvNet.InputShape(config, 2);
        using var x = fx.Ops.Upload(TestData.Uniform(4, shape.Length));
        Assert.Equal(2 * 576, net.Forward(x, shape, training: false).Length);
        // A 1×1 map can still end the network when nothing pools it: 8 → 4 → 2 → 1 → (no pool) 1.
        Assert.Equal(64, new ConvNetConfig(InputSize: 8, FinalPool: false).EmbeddingDim);
        Assert.Throws<Lshk.Core.InputException>(() => new ConvNetConfig(InputSize: 4, FinalPool: false).Validate());
    }

    [Fact]
    public void TheGlobalAverageMakesTheLastMapOneValuePerFilter()
    {
        var config = new ConvNetConfig(FinalPool: false, GlobalAverage: true);
        using var net = ConvNet.Create(fx.Ops, config, seed: 1);
        Assert.Equal(new[] { "Conv2d", "BatchNorm2d", "ReLU", "AdaptiveAvgPool2d", "Flatten" }, net.Layers.TakeLast(5).Select(l => l.Kind));
        // The parameters and their PyTorch names are those of the unpooled network: the average has none.
        Assert.Equal(ConvNet.Create(fx.Ops, new ConvNetConfig(FinalPool: false), seed: 1).NamedParameters().Select(p => p.Name),
            net.NamedParameters().Select(p => p.Name));
        Assert.Equal(64, config.EmbeddingDim);
        Assert.Equal("conv4: 4×[conv3x3(64)+bn+relu+maxpool2] (no pool after the last), averaged over its positions, input 1×28×28, embedding 64",
            config.Describe());
        // Each embedding value is the mean of its filter's 3×3 map in the unpooled network with the same weights.
        using var unpooled = ConvNet.Create(fx.Ops, new ConvNetConfig(FinalPool: false), seed: 1);
        var shape = ConvNet.InputShape(config, 2);
        using var x = fx.Ops.Upload(TestData.Uniform(4, shape.Length));
        float[] maps = unpooled.Forward(x, shape, training: false).ToArray(), averaged = net.Forward(x, shape, training: false).ToArray();
        Assert.Equal(2 * 64, averaged.Length);
        for (int i = 0; i < averaged.Length; i++)
            Assert.Equal(maps.Skip(9 * i).Take(9).Select(v => (double)v).Average(), averaged[i], 5);
    }

    [Fact]
    public void DefaultMetadataHasNoVariantKeysSoOldFilesStayByteIdentical()
    {
        var m = ModelFile.Metadata(new ConvNetConfig());
        Assert.False(m.ContainsKey(ModelFile.BatchNormKey));
        Assert.False(m.ContainsKey(ModelFile.DropoutAtKey));
        Assert.False(m.ContainsKey(ModelFile.FinalPoolKey));
        Assert.False(m.ContainsKey(ModelFile.GlobalAverageKey));
        var averaged = new ConvNetConfig(FinalPool: false, GlobalAverage: true);
        Assert.Equal("true", ModelFile.Metadata(averaged)[ModelFile.GlobalAverageKey]);
        Assert.Equal(averaged, ModelFile.ConfigFrom(ModelFile.Metadata(averaged), "m.safetensors"));
        var unpooled = new ConvNetConfig(FinalPool: false);
        Assert.Equal("false", ModelFile.Metadata(unpooled)[ModelFile.FinalPoolKey]);
        Assert.Equal(unpooled, ModelFile.ConfigFrom(ModelFile.Metadata(unpooled), "m.safetensors"));
        var study = ModelFile.Metadata(Study);
        Assert.Equal("false", study[ModelFile.BatchNormKey]);
        Assert.Equal("embedding", study[ModelFile.DropoutAtKey]);
        Assert.Equal(Study, ModelFile.ConfigFrom(study, "m.safetensors"));
        // A file without the keys (every file before them) is the default network.
        Assert.Equal(new ConvNetConfig(), ModelFile.ConfigFrom(m, "m.safetensors"));
    }

    [Fact]
    public void MalformedVariantKeysAreOneLineErrors()
    {
        var m = new Dictionary<string, string>(ModelFile.Metadata(Study)) { [ModelFile.BatchNormKey] = "maybe" };
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.ConfigFrom(m, "m.safetensors"));
        Assert.Equal("m.safetensors: metadata 'lshk.batch_norm' = 'maybe' is not true or false", e.Message);
        m = new Dictionary<string, string>(ModelFile.Metadata(Study)) { [ModelFile.DropoutAtKey] = "input" };
        e = Assert.Throws<InvalidDataException>(() => ModelFile.ConfigFrom(m, "m.safetensors"));
        Assert.Equal("m.safetensors: metadata 'lshk.dropout_at' = 'input' is not blocks or embedding", e.Message);
        m = new Dictionary<string, string>(ModelFile.Metadata(Study)) { [ModelFile.FinalPoolKey] = "no" };
        e = Assert.Throws<InvalidDataException>(() => ModelFile.ConfigFrom(m, "m.safetensors"));
        Assert.Equal("m.safetensors: metadata 'lshk.final_pool' = 'no' is not true or false", e.Message);
        m = new Dictionary<string, string>(ModelFile.Metadata(Study)) { [ModelFile.GlobalAverageKey] = "mean" };
        e = Assert.Throws<InvalidDataException>(() => ModelFile.ConfigFrom(m, "m.safetensors"));
        Assert.Equal("m.safetensors: metadata 'lshk.global_average' = 'mean' is not true or false", e.Message);
    }

    [Fact]
    public void TrainedStudyNetworkReloadsWithIdenticalEmbeddings()
    {
        var ops = fx.Ops;
        using var net = ConvNet.Create(ops, Study, seed: 5);
        using (var adam = new Adam(ops, net.Parameters, new ConstantRate(1e-2f)))
        using (var loss = new CosineMeanLoss(ops, scale: 1f))
        {
            var episode = new EpisodeShape(3, 2, 2, Study.EmbeddingDim);
            using var batch = ops.Upload(TestData.Uniform(12, episode.Batch * 14 * 14));
            var trainer = new Trainer(net, adam, loss);
            float first = trainer.Step(batch, ConvNet.InputShape(Study, episode.Batch), episode).Loss;
            Assert.True(float.IsFinite(first));
            for (int i = 0; i < 3; i++) trainer.Step(batch, ConvNet.InputShape(Study, episode.Batch), episode);
        }
        var stream = new MemoryStream();
        ModelFile.Save(stream, net, Study);
        var (loaded, config, _) = ModelFile.Load(stream.ToArray(), "study.safetensors", ops);
        using var _ = loaded;
        Assert.Equal(Study, config);
        var shape = ConvNet.InputShape(Study, 5);
        using var x = ops.Upload(TestData.Uniform(13, shape.Length));
        Assert.Equal(net.Forward(x, shape, training: false).ToArray(), loaded.Forward(x, shape, training: false).ToArray());
    }
}
