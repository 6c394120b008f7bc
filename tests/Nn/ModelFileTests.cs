using Lshk.Data;
using Lshk.Kernels.Nn;
using Lshk.Nn;
using Lshk.Nn.Layers;
using Lshk.Nn.ModelFiles;
using Lshk.Nn.Optimisers;
using Lshk.Tests.Nn.Reference;

namespace Lshk.Tests.Nn;

/// <summary>Saving and loading whole networks: PyTorch names, metadata, identical embeddings, and strict checks.</summary>
public class ModelFileTests(CpuOpsFixture fx) : IClassFixture<CpuOpsFixture>
{
    private static readonly ConvNetConfig Config = new(Blocks: 3, Filters: 8, Dropout: 0.1f, InputSize: 14);

    /// <summary>A network trained for a few steps, so the running statistics and batch counts are not the defaults.</summary>
    private Sequential Trained()
    {
        var ops = fx.Ops;
        var net = ConvNet.Create(ops, Config, seed: 11);
        using var adam = new Adam(ops, net.Parameters, new ConstantRate(1e-2f));
        using var loss = new PrototypicalLoss(ops);
        var episode = new EpisodeShape(3, 2, 2, Config.EmbeddingDim);
        using var x = ops.Upload(TestData.Uniform(12, episode.Batch * 14 * 14));
        var trainer = new Trainer(net, adam, loss);
        for (int i = 0; i < 3; i++) trainer.Step(x, ConvNet.InputShape(Config, episode.Batch), episode);
        return net;
    }

    private static byte[] Save(Sequential net, IReadOnlyDictionary<string, string>? extra = null)
    {
        var stream = new MemoryStream();
        ModelFile.Save(stream, net, Config, extra);
        return stream.ToArray();
    }

    [Fact]
    public void StateDictHasPyTorchsNamesShapesAndTypes()
    {
        using var net = Trained();
        var names = ModelFile.StateDict(net).Select(t => $"{t.Name}:{t.Type}:[{string.Join(",", t.Shape)}]").ToArray();
        Assert.Equal(new[]
        {
            "0.weight:F32:[8,1,3,3]", "0.bias:F32:[8]", "1.weight:F32:[8]", "1.bias:F32:[8]", "1.running_mean:F32:[8]",
            "1.running_var:F32:[8]", "1.num_batches_tracked:I64:[]", "5.weight:F32:[8,8,3,3]",
        }, names.Take(8));
        Assert.Equal(3 * 7, names.Length);
        Assert.Equal(3L, ModelFile.StateDict(net).Single(t => t.Name == "6.num_batches_tracked").ToInt64()[0]);
    }

    [Fact]
    public void LoadedNetworkGivesIdenticalEmbeddingsAndMetadata()
    {
        var ops = fx.Ops;
        using var net = Trained();
        byte[] file = Save(net, new Dictionary<string, string> { ["lshk.dataset"] = "omniglot", ["lshk.normalisation"] = "mean=0.92,std=0.26" });
        var (loaded, config, metadata) = ModelFile.Load(file, "model.safetensors", ops);
        using var _ = loaded;
        Assert.Equal(Config, config);
        Assert.Equal("omniglot", metadata["lshk.dataset"]);
        Assert.Equal("8", metadata["lshk.embedding_dim"]); // 8 filters × 1×1 after three pools: 14 → 7 → 3 → 1
        Assert.Equal(3, ((BatchNorm2d)loaded.Layers[1]).NumBatchesTracked);
        var shape = ConvNet.InputShape(Config, 5);
        using var x = ops.Upload(TestData.Uniform(13, shape.Length));
        Assert.Equal(net.Forward(x, shape, training: false).ToArray(), loaded.Forward(x, shape, training: false).ToArray());
    }

    [Fact]
    public void AtomicFileRoundTripThroughTheFileSystem()
    {
        using var net = Trained();
        string folder = Path.Combine(Path.GetTempPath(), "lshk-model-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string path = Path.Combine(folder, "m.safetensors");
            AtomicFile.Write(path, s => ModelFile.Save(s, net, Config));
            Assert.Equal(new[] { "m.safetensors" }, Directory.GetFiles(folder).Select(Path.GetFileName));
            var (loaded, _, _) = ModelFile.Load(path, fx.Ops);
            loaded.Dispose();
            var e = Assert.Throws<FileNotFoundException>(() => ModelFile.Load(Path.Combine(folder, "none.safetensors"), fx.Ops));
            Assert.Contains("none.safetensors: file not found", e.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void MismatchedTensorsAreOneLineErrors()
    {
        using var net = Trained();
        var good = ModelFile.StateDict(net);
        var metadata = ModelFile.Metadata(Config);

        string Error(IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? meta = null)
        {
            var stream = new MemoryStream();
            SafeTensors.Write(stream, tensors.ToArray(), meta ?? metadata);
            return Assert.Throws<InvalidDataException>(() => ModelFile.Load(stream.ToArray(), "m.safetensors", fx.Ops)).Message;
        }

        Assert.Contains("tensor '0.bias' is missing", Error(good.Where(t => t.Name != "0.bias")));
        Assert.Contains("unexpected tensor 'extra'", Error(good.Append(SafeTensor.FromFloats("extra", [1], [0f]))));
        Assert.Contains("'0.bias' has shape [4], expected [8]",
            Error(good.Select(t => t.Name == "0.bias" ? SafeTensor.FromFloats("0.bias", [4], new float[4]) : t)));
        Assert.Contains("'1.num_batches_tracked' is F32, expected I64",
            Error(good.Select(t => t.Name == "1.num_batches_tracked" ? SafeTensor.FromFloats(t.Name, [], [3f]) : t)));
        Assert.Contains("metadata lacks 'lshk.blocks'",
            Error(good, metadata.Where(kv => kv.Key != "lshk.blocks").ToDictionary(kv => kv.Key, kv => kv.Value)));
        Assert.Contains("'lshk.filters' = 'many'",
            Error(good, metadata.ToDictionary(kv => kv.Key, kv => kv.Key == "lshk.filters" ? "many" : kv.Value)));
        // a different architecture in the metadata than in the tensors
        Assert.Contains("expected [16,",
            Error(good, metadata.ToDictionary(kv => kv.Key, kv => kv.Key == "lshk.filters" ? "16" : kv.Value)).Replace(", ", ","));
    }

    [Fact]
    public void ReservedMetadataKeysCannotBeOverwritten()
    {
        using var net = Trained();
        Assert.Throws<ArgumentException>(() => Save(net, new Dictionary<string, string> { ["lshk.blocks"] = "9" }));
    }
}
