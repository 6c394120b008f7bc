using System.Buffers.Binary;
using Lshk.Kernels;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Random;
using Lshk.Lsh;
using Lshk.Lsh.Families;
using Lshk.Lsh.Index;
using Lshk.Lsh.Quantization;
using Lshk.Tests.Reference;

namespace Lshk.Tests.Lsh;

/// <summary>
/// An index of product-quantiser codes (pq, opq): coding with a frozen shift, additions and deletions, the version-4
/// file, and classification by cosine to each support's reconstruction, against a float64 reference.
/// </summary>
public class CodebookIndexTests
{
    private const int Dim = 12, Bits = 24; // 3 subspaces of 4 dimensions: the last code word has an unused byte

    private static ProductCodebook Codebook(bool rotate) =>
        (rotate ? (ICodebookFamily)OptimizedProductQuantizerFamily.Instance : ProductQuantizerFamily.Instance)
            .Fit(RandomArrays.Gaussian(300L * Dim, 41), Dim, Bits, seed: 3);

    private static SupportIndex Index(bool rotate, bool center, int n = 14, ulong seed = 7, EmbeddingViews? views = null)
    {
        using var cpu = new CpuBackend();
        return SupportIndex.Create(cpu, IndexTestData.Checksum, Codebook(rotate), center,
            IndexTestData.Items(n, Dim, ["alpha", "béta", "gamma"], seed), views);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void SupportsAreCodedWithTheShiftOfTheFirstEnrolmentAndKeepIt(bool rotate, bool center)
    {
        using var cpu = new CpuBackend();
        var codebook = Codebook(rotate);
        var first = IndexTestData.Items(14, Dim, ["alpha", "béta", "gamma"], 7);
        var index = SupportIndex.Create(cpu, IndexTestData.Checksum, codebook, center, first);
        float[]? shift = center ? codebook.ShiftTo(cpu, first.Embeddings, first.Count) : null;
        Assert.Equal(shift, index.Codebook!.Shift);
        Assert.Equal(codebook.Encode(cpu, first.Embeddings, first.Count, shift), index.Codes.ToArray());
        Assert.Equal((Bits, 1, codebook.Family, center), (index.Bits, index.Words, index.Family, index.Centred));
        Assert.Throws<InvalidOperationException>(() => index.Hasher);

        // An addition is coded with the same shift; what was there stays as it was.
        var more = IndexTestData.Items(5, Dim, ["delta", "alpha"], 8);
        var grown = index.Add(cpu, more);
        Assert.Equal(index.Codes.ToArray(), grown.Codes[..(14 * index.Words)].ToArray());
        Assert.Equal(codebook.Encode(cpu, more.Embeddings, more.Count, shift), grown.Codes[(14 * index.Words)..].ToArray());
        Assert.Equal(["alpha", "béta", "gamma", "delta"], grown.ClassNames);

        // Deleting a class keeps the others' codes and the shift; re-centring moves the shift to all items' mean.
        var fewer = grown.WithoutClass(grown.ClassId("béta"));
        Assert.Same(grown.Codebook, fewer.Codebook);
        Assert.DoesNotContain("béta", fewer.ClassNames);
        var moved = grown.Recentered(cpu);
        var all = grown.Embeddings.ToArray();
        Assert.Equal(codebook.ShiftTo(cpu, all, grown.Count), moved.Codebook!.Shift);
        Assert.Equal(codebook.Encode(cpu, all, grown.Count, moved.Codebook.Shift), moved.Codes.ToArray());
        Assert.Equal(0, grown.Emptied().Count);
        Assert.Same(grown.Codebook, grown.Emptied().Codebook);
    }

    [Fact]
    public void OnlyTheAsymmetricScoreAndCosineCanScoreCodebookCodes()
    {
        var index = Index(rotate: true, center: true);
        Assert.Equal(MatchMethod.Asymmetric, index.DefaultMethod);
        Assert.True(index.Supports(MatchMethod.Asymmetric) && index.Supports(MatchMethod.CosineNearest));
        Assert.False(index.Supports(MatchMethod.HammingNearest) || index.Supports(MatchMethod.HammingMajority));
        using var cpu = new CpuBackend();
        Assert.Throws<ArgumentException>(() => new IndexClassifier(cpu, index, MatchMethod.HammingNearest));
        Assert.Equal(MatchMethod.HammingNearest, IndexTestData.Index().DefaultMethod);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void ClassesAreRankedByCosineToEachSupportsReconstruction(bool rotate, bool center)
    {
        var index = Index(rotate, center, n: 30);
        var codebook = index.Codebook!.Codebook;
        float[] queries = RandomArrays.Gaussian(6L * Dim, 99);
        using var cpu = new CpuBackend();
        using var classifier = new IndexClassifier(cpu, index, MatchMethod.Asymmetric);
        var result = classifier.Classify(queries, 6, top: 3);
        // Reference: the query as the codebook prepares it (unit, rotated), scored in float64 against each support's
        // centroids plus the shift; a class's score is its best support's.
        float[] prepared = codebook.Prepare(cpu, queries, 6);
        uint[] codes = index.Codes.ToArray();
        float[] shift = index.Codebook.Shift ?? [];
        for (int r = 0; r < 6; r++)
        {
            var best = new double[index.ClassCount];
            Array.Fill(best, double.NegativeInfinity);
            for (int s = 0; s < index.Count; s++)
            {
                double score = ProductCodeReference.Score(prepared, r, codes, s, Dim, codebook.Centroids, codebook.Subspaces, shift);
                best[index.Labels[s]] = Math.Max(best[index.Labels[s]], score);
            }
            var expected = Enumerable.Range(0, index.ClassCount).OrderByDescending(c => best[c]).ThenBy(c => c).Take(3).ToArray();
            Assert.Equal(expected, result[r].Select(c => c.Class));
            for (int j = 0; j < 3; j++) Assert.Equal(best[expected[j]], result[r][j].Score, 1e-5);
        }
        // Cosine on the stored embeddings still works on the same index.
        using var cosine = new IndexClassifier(cpu, index, MatchMethod.CosineNearest);
        Assert.Equal(6, cosine.Classify(queries, 6, top: 1).Length);
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, true, true)]
    public void TheVersionFourFileKeepsEveryField(bool rotate, bool center, bool viewed)
    {
        var index = Index(rotate, center, views: viewed ? new EmbeddingViews(4, "shift:1,rotate:5") : null);
        byte[] bytes = IndexTestData.Bytes(index);
        Assert.Equal((uint)SupportIndexFile.VersionCodebook, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        Assert.Equal((uint)Bits, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(16)));
        Assert.Equal((byte)((center ? 2 : 0) | (rotate ? 4 : 0)), bytes[29]);
        var back = SupportIndexFile.Read(bytes, "x.lshi");
        var (a, b) = (index.Codebook!, back.Codebook!);
        Assert.Same(a.Codebook.Family, b.Codebook.Family);
        Assert.Equal((a.Codebook.Seed, a.Codebook.Subspaces), (b.Codebook.Seed, b.Codebook.Subspaces));
        Assert.Equal(a.Codebook.Centroids, b.Codebook.Centroids);
        Assert.Equal(a.Codebook.Mean, b.Codebook.Mean);
        Assert.Equal(a.Codebook.Rotation, b.Codebook.Rotation);
        Assert.Equal(a.Shift, b.Shift);
        Assert.Equal(index.Views, back.Views);
        Assert.Equal(index.ClassNames, back.ClassNames);
        Assert.Equal(index.Labels.ToArray(), back.Labels.ToArray());
        Assert.Equal(index.ContentHashes.ToArray(), back.ContentHashes.ToArray());
        Assert.Equal(index.Codes.ToArray(), back.Codes.ToArray());
        Assert.Equal(index.Embeddings.ToArray(), back.Embeddings.ToArray());
        Assert.Equal(bytes, IndexTestData.Bytes(back));
        Assert.Equal(bytes, IndexTestData.Bytes(Index(rotate, center, views: viewed ? new EmbeddingViews(4, "shift:1,rotate:5") : null)));
    }

    [Fact]
    public void AnEmptiedCodebookIndexIsWrittenAndReadWithItsCodebook()
    {
        // What a server keeps after deleting its last class: no items, the same codebook and shift for the next enrolment.
        var index = Index(rotate: true, center: true);
        var empty = index.WithoutClass(0).WithoutClass(0).WithoutClass(0);
        Assert.Equal(0, empty.Count);
        var back = SupportIndexFile.Read(IndexTestData.Bytes(empty), "x.lshi");
        Assert.Equal((0, 0), (back.Count, back.ClassCount));
        Assert.Equal(index.Codebook!.Shift, back.Codebook!.Shift);
        using var cpu = new CpuBackend();
        var again = back.Add(cpu, IndexTestData.Items(3, Dim, ["x"], 9));
        Assert.Equal(index.Codebook.Encode(cpu, IndexTestData.Items(3, Dim, ["x"], 9).Embeddings, 3), again.Codes.ToArray());
        using var classifier = new IndexClassifier(cpu, back, MatchMethod.Asymmetric);
        Assert.Empty(classifier.Classify(new float[Dim], 1, top: 2)[0]);
    }

    [Fact]
    public void ABadVersionFourFileIsOneClearError()
    {
        byte[] bytes = IndexTestData.Bytes(Index(rotate: true, center: true));
        var flipped = (byte[])bytes.Clone();
        flipped[^40] ^= 1;
        Assert.Contains("checksum mismatch", Assert.Throws<IndexFormatException>(() => SupportIndexFile.Read(flipped, "x.lshi")).Message);
        Assert.Contains("truncated", Assert.Throws<IndexFormatException>(() => SupportIndexFile.Read(bytes[..^50], "x.lshi")).Message);

        // The unused fourth byte of every code must be zero (3 subspaces in one word); checked behind the checksum.
        int codesAt = bytes.Length - 32 - 14 * 4 * Dim - 14 * 4;
        var dirty = (byte[])bytes.Clone();
        dirty[codesAt + 3] = 1;
        Assert.Contains("bytes set beyond subspace 2", Assert.Throws<IndexFormatException>(() =>
            SupportIndexFile.Read(IndexTestData.Resigned(dirty), "x.lshi")).Message);

        // A codebook index naming a family of planes ("opq" → "pca", same length) is refused, behind the checksum.
        var planesFamily = (byte[])bytes.Clone();
        "pca"u8.CopyTo(planesFamily.AsSpan(SupportIndexFile.HeaderBytes + 2));
        Assert.Contains("hash family 'pca' makes planes, not the codebook", Assert.Throws<IndexFormatException>(() =>
            SupportIndexFile.Read(IndexTestData.Resigned(planesFamily), "x.lshi")).Message);
    }

    [Fact]
    public void AnOldLshIndexStillReadsAsPlanes()
    {
        var index = IndexTestData.Index();
        var back = SupportIndexFile.Read(IndexTestData.Bytes(index), "x.lshi");
        Assert.Null(back.Codebook);
        Assert.Equal(index.Planes.Normals, back.Planes.Normals);
        Assert.Equal(MatchMethod.HammingNearest, back.DefaultMethod);
        Assert.True(back.Supports(MatchMethod.HammingMajority));
    }
}
