using System.Buffers.Binary;
using Lshk.Kernels.Cpu;
using Lshk.Lsh;
using Lshk.Lsh.Index;

namespace Lshk.Tests.Lsh;

/// <summary>An index with no classes (a server's before its first enrolment, or after its last deletion) and class deletion.</summary>
public sealed class IndexEmptyAndDeleteTests
{
    [Fact]
    public void AnEmptyIndexIsWrittenAsHeaderPlanesAndCentreAndReadsBackTheSame()
    {
        const int dim = 16, bits = 70;
        var full = IndexTestData.Index(dim: dim, bits: bits);
        var empty = SupportIndex.Empty(IndexTestData.Checksum, full.Hasher);
        byte[] bytes = IndexTestData.Bytes(empty);
        // Header, P×D normals, the D-float centre, the SHA-256: no names, no items.
        Assert.Equal(80 + 4 * bits * dim + 4 * dim + 32, bytes.Length);
        var read = SupportIndexFile.Read(bytes, "empty.lshi");
        Assert.Equal(0, read.Count);
        Assert.Equal(0, read.ClassCount);
        Assert.Equal(full.Center, read.Center);
        Assert.Equal(full.Planes.Normals.ToArray(), read.Planes.Normals.ToArray());
        Assert.Equal(bytes, IndexTestData.Bytes(read));
    }

    [Fact]
    public void ItemsWithoutAnyClassAreStillRefused()
    {
        byte[] bytes = IndexTestData.Bytes(IndexTestData.Index());
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(20), 0);
        var e = Assert.Throws<IndexFormatException>(() => SupportIndexFile.Read(IndexTestData.Resigned(bytes), "x.lshi"));
        Assert.Contains("class count 0 is out of range", e.Message);
    }

    [Fact]
    public void DeletingAClassKeepsTheOtherItemsCodesAndRenumbersTheClassesAfterIt()
    {
        var index = IndexTestData.Index(n: 12, classes: ["alpha", "béta", "gamma"]);   // round robin: item i is class i % 3
        var without = index.WithoutClass(index.ClassId("béta"));
        Assert.Equal(["alpha", "gamma"], without.ClassNames);
        int[] kept = [0, 2, 3, 5, 6, 8, 9, 11];
        Assert.Equal(kept.Select(i => i % 3 == 0 ? 0 : 1).ToArray(), without.Labels.ToArray());
        int w = index.Words, d = index.Dim;
        Assert.Equal(kept.SelectMany(i => index.Codes.Slice(i * w, w).ToArray()).ToArray(), without.Codes.ToArray());
        Assert.Equal(kept.SelectMany(i => index.Embeddings.Slice(i * d, d).ToArray()).ToArray(), without.Embeddings.ToArray());
        Assert.Equal(kept.SelectMany(i => index.ContentHashes.Slice(i * 32, 32).ToArray()).ToArray(), without.ContentHashes.ToArray());
        Assert.Equal(4, without.CountOf(1));
        Assert.Equal(-1, without.ClassId("béta"));
        Assert.Equal(IndexTestData.Bytes(without), IndexTestData.Bytes(SupportIndexFile.Read(IndexTestData.Bytes(without), "w.lshi")));
    }

    [Fact]
    public void AfterTheLastClassIsDeletedNewItemsAreHashedWithTheFrozenCentre()
    {
        using var backend = new CpuBackend();
        var index = IndexTestData.Index(n: 6, classes: ["alpha", "béta"]);
        var empty = index.WithoutClass(1).WithoutClass(0);
        Assert.Equal(0, empty.Count);
        Assert.Equal(0, SupportIndexFile.Read(IndexTestData.Bytes(empty), "e.lshi").Count);
        var items = IndexTestData.Items(3, index.Dim, ["delta"], seed: 77);
        var again = empty.Add(backend, items);
        Assert.Equal(index.Hasher.Hash(backend, items.Embeddings, 3), again.Codes.ToArray());
        Assert.Equal(index.Center, again.Center);
    }

    [Fact]
    public void AnEmptyIndexGivesEveryQueryAnEmptyList()
    {
        using var backend = new CpuBackend();
        var full = IndexTestData.Index();
        var empty = SupportIndex.Empty(IndexTestData.Checksum, full.Hasher);
        foreach (var method in MatchMethods.ForIndex)
        {
            using var classifier = new IndexClassifier(backend, empty, method);
            var results = classifier.Classify(full.Embeddings[..(2 * full.Dim)], 2, top: 5);
            Assert.Equal(2, results.Length);
            Assert.All(results, r => Assert.Empty(r));
        }
    }
}
