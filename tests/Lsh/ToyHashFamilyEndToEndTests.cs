using System.Buffers.Binary;
using System.Text;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Random;
using Lshk.Lsh;
using Lshk.Lsh.Index;
using Lshk.Tests.Reference;

namespace Lshk.Tests.Lsh;

/// <summary>
/// Families registered from outside the library run through the public API end to end: planes → codes → Hamming
/// top-k, a stored index that names them, and the refusals their kinds call for. The expected bits come from the
/// toy planes' definition (axis signs), not from the hasher.
/// </summary>
public class ToyHashFamilyEndToEndTests
{
    private const int Dim = 5;

    public ToyHashFamilyEndToEndTests() => ToyHashFamilies.Register();

    [Fact]
    public void ARegisteredRandomFamilyHashesAndSearchesByName()
    {
        int n = 40, q = 7, p = 13, k = 4;
        const ulong seed = 3;
        float[] support = RandomArrays.Gaussian(n * Dim, 1), queries = RandomArrays.Gaussian(q * Dim, 2);
        var planes = Hyperplanes.Generate(HashFamilies.Get("toy-axis"), p, Dim, seed);
        using var backend = new CpuBackend();
        var hasher = new LshHasher(planes);
        uint[] s = hasher.Hash(backend, support, n), qc = hasher.Hash(backend, queries, q);
        Assert.Equal(AxisBits(support, n, p, seed), s);
        Assert.Equal(AxisBits(queries, q, p, seed), qc);

        using var index = backend.CreateHammingIndex(s, n, p);
        var top = index.Search(qc, q, k);
        var (idx, score) = ScalarReference.HammingTopK(AxisBits(support, n, p, seed), n, AxisBits(queries, q, p, seed), q, p, k);
        Assert.Equal(idx, top.Indices);
        Assert.Equal(score, top.Scores);
    }

    [Fact]
    public void AFittedFamilysIndexIsStoredAsVersion2AndReadsBack()
    {
        int n = 30, p = 9;
        var items = IndexTestData.Items(n, Dim, ["a", "b", "c"], 4);
        float[] training = RandomArrays.Gaussian(50 * Dim, 8);
        for (int i = 0; i < training.Length; i++) training[i] += 1f;   // off-centre, so the fitted thresholds matter
        var planes = ((IFittedHashFamily)HashFamilies.Get("toy-fitted")).Fit(training, Dim, p, seed: 6);
        using var backend = new CpuBackend();
        var index = SupportIndex.Create(backend, IndexTestData.Checksum, planes, center: false, items);
        Assert.Equal(MeanThresholdBits(items.Embeddings, training, n, p), index.Codes.ToArray());

        byte[] bytes = IndexTestData.Bytes(index);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        Assert.Equal(0, bytes[28]);
        Assert.Equal("toy-fitted".Length, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(80)));
        Assert.Equal("toy-fitted", Encoding.UTF8.GetString(bytes, 82, "toy-fitted".Length));
        var back = SupportIndexFile.Read(bytes, "f.lshi");
        Assert.Same(ToyHashFamilies.Fitted, back.Planes.Family);
        Assert.Equal(planes.Normals, back.Planes.Normals);
        Assert.Equal(planes.Offsets, back.Planes.Offsets);
        Assert.Equal(index.Codes.ToArray(), back.Codes.ToArray());
        Assert.Equal(bytes, IndexTestData.Bytes(back));
        // Adding items hashes them with the stored fitted planes.
        var extra = IndexTestData.Items(6, Dim, ["d"], 9);
        Assert.Equal(MeanThresholdBits(extra.Embeddings, training, 6, p), back.Add(backend, extra).Codes[^6..].ToArray());
    }

    [Fact]
    public void AnIndexNamingAnUnknownFamilyIsAOneLineError()
    {
        byte[] bytes = ToyAxisIndexBytes();
        // Same length as "toy-axis", so only the name changes; re-signed so the checksum passes.
        Encoding.UTF8.GetBytes("toy-nope").CopyTo(bytes, 82);
        var e = Assert.Throws<UnknownHashFamilyException>(() => SupportIndexFile.Read(IndexTestData.Resigned(bytes), "u.lshi"));
        Assert.StartsWith("u.lshi: unknown hash family 'toy-nope' (known: gaussian, uniform, integer", e.Message);
        Assert.Equal(("u.lshi", "toy-nope"), (e.FilePath, e.Family));
        Assert.DoesNotContain('\n', e.Message);
        // An unsigned edit is reported as corruption, not as a family.
        Assert.Contains("checksum mismatch", Assert.Throws<IndexFormatException>(() => SupportIndexFile.Read(bytes, "u.lshi")).Message);
    }

    [Fact]
    public void Version2HeaderProblemsAreNamed()
    {
        byte[] bytes = ToyAxisIndexBytes();
        var code = (byte[])bytes.Clone();
        code[28] = 1;
        Assert.Contains("plane family code 1 is not valid in a version 2 index", Read(code));
        var empty = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(empty.AsSpan(80), 0);
        Assert.Contains("family name has length 0", Read(empty));
        var invalid = (byte[])bytes.Clone();
        invalid[83] = 0xFF;
        Assert.Contains("family name is not valid UTF-8", Read(IndexTestData.Resigned(invalid)));
        Assert.Contains("truncated", Read(bytes[..90]));
    }

    [Fact]
    public void APerEpisodeFamilyHashesAnEpisodeButNoIndexTakesIt()
    {
        // Three well-separated classes: each support's code is exactly its own class's bit.
        int classes = 3, per = 4, n = classes * per;
        float[] noise = RandomArrays.Gaussian(n * Dim, 5);
        var support = new float[n * Dim];
        var labels = new int[n];
        for (int r = 0; r < n; r++)
        {
            labels[r] = r % classes;
            for (int j = 0; j < Dim; j++) support[r * Dim + j] = (j == labels[r] ? 5f : 0f) + 0.1f * noise[r * Dim + j];
        }
        var family = (IEpisodeHashFamily)HashFamilies.Get("toy-class-mean");
        var planes = family.Fit(support, Dim, labels, classes, planes: 64, seed: 1);
        Assert.Equal(classes, planes.Count);
        using var backend = new CpuBackend();
        uint[] codes = new LshHasher(planes).Hash(backend, support, n);
        Assert.Equal(labels.Select(c => 1u << c), codes);

        var items = new SupportItems(labels.Select(c => $"c{c}").ToArray(), support, Dim,
            Enumerable.Range(0, n).Select(i => System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i))).ToArray());
        var refused = Assert.Throws<Lshk.Core.InputException>(() => SupportIndex.Create(backend, IndexTestData.Checksum, planes, false, items));
        Assert.Contains("'toy-class-mean' fits its planes to one episode's classes", refused.Message);

        // A file naming a per-episode family (written by another tool) is refused too.
        byte[] bytes = ToyAxisIndexBytes();
        byte[] name = Encoding.UTF8.GetBytes("toy-class-mean");
        byte[] renamed = [.. bytes[..80], (byte)name.Length, 0, .. name, .. bytes[(82 + "toy-axis".Length)..]];
        Assert.Contains("'toy-class-mean' fits its planes to one episode's classes; an index cannot hold them",
            Read(IndexTestData.Resigned(renamed)));
    }

    private static byte[] ToyAxisIndexBytes()
    {
        using var backend = new CpuBackend();
        var planes = Hyperplanes.Generate(ToyHashFamilies.Axis, 7, Dim, 2);
        return IndexTestData.Bytes(SupportIndex.Create(backend, IndexTestData.Checksum, planes, false, IndexTestData.Items(6, Dim, ["a", "b"], 3)));
    }

    private static string Read(byte[] bytes) =>
        Assert.Throws<IndexFormatException>(() => SupportIndexFile.Read(bytes, "v2.lshi")).Message;

    /// <summary>Bit i of row r = x[r, (i + seed) mod D] ≥ 0, packed LSB-first in 32-bit words.</summary>
    private static uint[] AxisBits(float[] x, int n, int p, ulong seed) =>
        Pack(n, p, (r, i) => x[r * Dim + ToyHashFamilies.AxisPlanes.Axis(i, Dim, seed)] >= 0);

    /// <summary>Bit i of row r = x[r, i mod D] ≥ the training mean of that coordinate (in double).</summary>
    private static uint[] MeanThresholdBits(ReadOnlySpan<float> x, float[] training, int n, int p)
    {
        int m = training.Length / Dim;
        var mean = Enumerable.Range(0, Dim).Select(j => Enumerable.Range(0, m).Sum(r => (double)training[r * Dim + j]) / m).ToArray();
        float[] rows = x.ToArray();
        return Pack(n, p, (r, i) => rows[r * Dim + i % Dim] - mean[i % Dim] >= 0);
    }

    private static uint[] Pack(int n, int p, Func<int, int, bool> bit)
    {
        int words = (p + 31) / 32;
        var codes = new uint[n * words];
        for (int r = 0; r < n; r++)
            for (int i = 0; i < p; i++)
                if (bit(r, i)) codes[r * words + i / 32] |= 1u << (i % 32);
        return codes;
    }
}
