using Lshk.Nn.ModelFiles;

namespace Lshk.Tests.Nn;

/// <summary>A codebook kept in a model file: its tensors read back as written, and one-line errors for broken ones.</summary>
public class StoredCodebookTests
{
    private static StoredCodebook Codebook(bool rotation)
    {
        var rng = new Random(3);
        float[] F(int count) => Enumerable.Range(0, count).Select(_ => (float)rng.NextDouble()).ToArray();
        return new StoredCodebook(4, 12, F(4 * 256 * 3), F(12), rotation ? F(144) : null);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ItsTensorsReadBackAsWritten(bool rotation)
    {
        var written = Codebook(rotation);
        var read = StoredCodebook.From(written.Tensors(), 12, "m.safetensors")!;
        Assert.Equal(written.Subspaces, read.Subspaces);
        Assert.Equal(written.Centroids, read.Centroids);
        Assert.Equal(written.Mean, read.Mean);
        Assert.Equal(written.Rotation, read.Rotation);
        Assert.Null(StoredCodebook.From([], 12, "m.safetensors"));
    }

    [Fact]
    public void BrokenCodebooksAreOneLineErrorsNamingTheFile()
    {
        var tensors = Codebook(true).Tensors();
        var partial = Assert.Throws<InvalidDataException>(() => StoredCodebook.From(tensors.Where(t => t.Name != StoredCodebook.MeanName).ToArray(), 12, "m.safetensors"));
        Assert.Equal("m.safetensors: has a partial codebook (it needs 'codebook.centroids' and 'codebook.mean')", partial.Message);
        var shape = Assert.Throws<InvalidDataException>(() => StoredCodebook.From(tensors, 16, "m.safetensors"));
        Assert.StartsWith("m.safetensors: a codebook of shapes [4, 256, 3] and [12] does not fit 16-dimensional embeddings", shape.Message);
        var nan = Codebook(false);
        nan.Mean[5] = float.NaN;
        var e = Assert.Throws<InvalidDataException>(() => StoredCodebook.From(nan.Tensors(), 12, "m.safetensors"));
        Assert.Equal("m.safetensors: the codebook holds NaN or infinite values", e.Message);
    }
}
