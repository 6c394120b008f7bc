using Lshk.App.Modeling;
using Lshk.Export;
using Lshk.Kernels.Cpu;
using Lshk.Lsh;
using Lshk.Nn;
using Lshk.Tests.Cli;

namespace Lshk.Tests.Export;

/// <summary>
/// <c>lshk export --with-hash</c> on a model whose planes <c>lshk fit-hash</c> stored: the graph's projections,
/// bits and packed codes equal what lshk's hasher makes of the same images with those planes (as enroll and
/// classify hash with stored planes: no further centring).
/// </summary>
[Collection(OnnxRuntimeCollection.Name)]
public class OnnxHashTests
{
    private const int Images = 24;

    /// <summary>Not a multiple of 8, so the last code byte has unused high bits, which must be 0.</summary>
    private const int Planes = 20;

    /// <summary>
    /// Below this |projection| a bit may come out either way between two correctly rounded sums in different orders;
    /// such bits are not compared (and must be rare).
    /// </summary>
    private const float Ambiguous = 1e-4f;

    [Fact]
    public void BitsAndCodesEqualLshksCodesWithTheStoredPlanes()
    {
        using var dir = new TempFolder();
        var config = new ConvNetConfig(Blocks: 3, Filters: 8);
        string model = OnnxTestModels.Save(dir.File("m.safetensors"), config, ClassifyTestModels.Omniglot);
        string fitOn = EnrollCommandTests.SupportFolder(dir, "fit", characters: 10, drawings: 6);
        string fitted = dir.File("fitted.safetensors");
        var fit = CliRunner.Run("fit-hash", "--model", model, "--hash", "itq", "--planes", $"{Planes}", "--data", "folder:" + fitOn,
            "--no-cache", "--device", "cpu", "--out", fitted);
        Assert.True(fit.Code == 0, fit.Err);
        string onnx = OnnxTestModels.Export(fitted, dir.File("m.onnx"), "--with-hash");

        float[] images = OnnxTestModels.Images(Images, config, seed: 4);
        var outputs = OnnxRuntimeRunner.Run(onnx, images, Images, 1, 28);
        int bytes = (Planes + 7) / 8;
        Assert.Equal([Images, Planes], outputs.Shapes[OnnxGraphNames.Projections]);
        Assert.Equal([Images, Planes], outputs.Shapes[OnnxGraphNames.Bits]);
        Assert.Equal([Images, bytes], outputs.Shapes[OnnxGraphNames.Codes]);

        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(fitted, backend);
        float[] embeddings = embedder.Embed(OnnxEmbeddingTests.PreparedAsLshk(images, embedder.Preprocessing), Images);
        OnnxAssert.Close(embeddings, outputs.Floats[OnnxGraphNames.Embedding], "embedding");
        var hasher = new LshHasher(ModelPlanes.Of(embedder)!);
        float[] projections = hasher.Project(backend, embeddings, Images);
        uint[] codes = hasher.Hash(backend, embeddings, Images);
        OnnxAssert.Close(projections, outputs.Floats[OnnxGraphNames.Projections], "projections");

        byte[] bits = outputs.Bytes[OnnxGraphNames.Bits], packed = outputs.Bytes[OnnxGraphNames.Codes];
        int compared = 0, ones = 0;
        var ambiguousBytes = new HashSet<int>();
        for (int r = 0; r < Images; r++)
            for (int i = 0; i < Planes; i++)
            {
                uint lshkBit = (codes[r * hasher.Words + i / 32] >> (i % 32)) & 1;
                Assert.True(bits[r * Planes + i] is 0 or 1, $"bit {i} of image {r} is {bits[r * Planes + i]}");
                if (Math.Abs(projections[r * Planes + i]) < Ambiguous) { ambiguousBytes.Add(r * bytes + i / 8); continue; }
                Assert.True(lshkBit == bits[r * Planes + i], $"image {r}, bit {i}: lshk {lshkBit}, ONNX {bits[r * Planes + i]} (projection {projections[r * Planes + i]})");
                compared++;
                ones += bits[r * Planes + i];
            }
        Assert.True(compared >= Images * Planes - 2, $"only {compared} of {Images * Planes} bits were clear of zero");
        Assert.InRange(ones, compared / 4, compared * 3 / 4);   // centred planes split the images: both bit values occur

        for (int r = 0; r < Images; r++)
            for (int b = 0; b < bytes; b++)
            {
                if (ambiguousBytes.Contains(r * bytes + b)) continue;
                byte lshkByte = (byte)(codes[r * hasher.Words + b / 4] >> (b % 4 * 8));
                Assert.True(lshkByte == packed[r * bytes + b], $"image {r}, code byte {b}: lshk {lshkByte:x2}, ONNX {packed[r * bytes + b]:x2}");
            }
    }

    [Fact]
    public void WithHashNeedsStoredPlanes()
    {
        using var dir = new TempFolder();
        string model = OnnxTestModels.Save(dir.File("m.safetensors"), new ConvNetConfig(Blocks: 2, Filters: 4), ClassifyTestModels.Omniglot);
        var run = CliRunner.Run("export", "--model", model, "--out", dir.File("m.onnx"), "--with-hash");
        Assert.Equal(1, run.Code);
        Assert.Equal($"lshk: error: {model}: the model stores no hash planes ('hash.weight', 'hash.bias') to export; fit some with lshk fit-hash",
            run.Err.Trim());
        Assert.False(File.Exists(dir.File("m.onnx")));
    }
}
