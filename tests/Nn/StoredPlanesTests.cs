using Lshk.Nn;
using Lshk.Nn.ModelFiles;

namespace Lshk.Tests.Nn;

/// <summary>Hash planes stored beside the network in a model file: written, read back, checked; old files have none.</summary>
public class StoredPlanesTests(CpuOpsFixture fx) : IClassFixture<CpuOpsFixture>
{
    private static readonly ConvNetConfig Config = new(Blocks: 2, Filters: 4, InputSize: 8);   // 4 × 2×2 = 16-d embeddings

    private byte[] Model()
    {
        using var net = ConvNet.Create(fx.Ops, Config, seed: 5);
        var stream = new MemoryStream();
        ModelFile.Save(stream, net, Config, new Dictionary<string, string> { ["lshk.data"] = "omniglot" });
        return stream.ToArray();
    }

    [Fact]
    public void PlanesWrittenIntoACopyComeBackWithTheNetworkAndMetadataUnchanged()
    {
        byte[] model = Model();
        int dim = Config.EmbeddingDim;
        var planes = new StoredPlanes(3, dim, Enumerable.Range(0, 3 * dim).Select(i => i * 0.25f - 2).ToArray(), [0.5f, -1, 2]);
        var output = new MemoryStream();
        ModelFile.WithPlanes(model, "m.safetensors", planes, new Dictionary<string, string> { ["lshk.hash.family"] = "itq" }, output);

        var (net, config, metadata) = ModelFile.Load(output.ToArray(), "m2.safetensors", fx.Ops, out var read);
        using var _ = net;
        Assert.Equal(Config, config);
        Assert.Equal("itq", metadata["lshk.hash.family"]);
        Assert.Equal("omniglot", metadata["lshk.data"]);
        Assert.NotNull(read);
        Assert.Equal((3, dim), (read.Count, read.Dim));
        Assert.Equal(planes.Weight, read.Weight);
        Assert.Equal(planes.Bias, read.Bias);
        // The network's tensors are the original file's, byte for byte.
        var (originalTensors, _) = SafeTensors.Read(model, "m");
        var (copiedTensors, _) = SafeTensors.Read(output.ToArray(), "m2");
        foreach (var t in originalTensors) Assert.Equal(t.Data, copiedTensors.Single(c => c.Name == t.Name).Data);

        // Fitting again replaces the planes rather than adding a second set.
        var again = new MemoryStream();
        ModelFile.WithPlanes(output.ToArray(), "m2", planes with { Count = 1, Weight = planes.Weight[..dim], Bias = [7f] },
            new Dictionary<string, string>(), again);
        ModelFile.Load(again.ToArray(), "m3", fx.Ops, out var replaced).Network.Dispose();
        Assert.Equal([7f], replaced!.Bias);
    }

    [Fact]
    public void AModelWithoutPlanesLoadsAsBeforeWithNone()
    {
        var (net, _, _) = ModelFile.Load(Model(), "old.safetensors", fx.Ops, out var planes);
        net.Dispose();
        Assert.Null(planes);
    }

    [Fact]
    public void MalformedPlanesAreOneLineErrorsNamingTheFile()
    {
        var (tensors, metadata) = SafeTensors.Read(Model(), "m");
        int dim = Config.EmbeddingDim;
        string Error(params SafeTensor[] extra)
        {
            var stream = new MemoryStream();
            SafeTensors.Write(stream, [.. tensors, .. extra], metadata);
            return Assert.Throws<InvalidDataException>(() => ModelFile.Load(stream.ToArray(), "bad.safetensors", fx.Ops)).Message;
        }
        var weight = SafeTensor.FromFloats("hash.weight", [2, dim], new float[2 * dim]);
        Assert.Equal("bad.safetensors: has 'hash.weight' without 'hash.bias'", Error(weight));
        Assert.Contains("do not fit 16-dimensional embeddings", Error(SafeTensor.FromFloats("hash.weight", [2, dim + 1], new float[2 * dim + 2]),
            SafeTensor.FromFloats("hash.bias", [2], new float[2])));
        Assert.Contains("NaN or infinite", Error(weight, SafeTensor.FromFloats("hash.bias", [2], [0, float.NaN])));
    }
}
