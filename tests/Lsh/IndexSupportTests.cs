using Lshk.Kernels.Cpu;
using Lshk.Lsh;
using Lshk.Lsh.Index;
using Lshk.Tests.Reference;

namespace Lshk.Tests.Lsh;

public class IndexSupportTests
{
    [Fact]
    public void EnrolmentHashesItemsCentredOnTheirMean()
    {
        using var backend = new CpuBackend();
        var items = IndexTestData.Items(10, 8, ["b", "a", "b", "c"], 3);
        var planes = Hyperplanes.Generate(PlaneFamily.Gaussian, 50, 8, 9);
        var index = SupportIndex.Create(backend, IndexTestData.Checksum, planes, center: true, items);
        // Classes in order of first appearance.
        Assert.Equal(["b", "a", "c"], index.ClassNames);
        Assert.Equal(new[] { 0, 1, 0, 2, 0, 1, 0, 2, 0, 1 }, index.Labels.ToArray());
        var mean = new float[8];
        for (int j = 0; j < 8; j++) mean[j] = (float)Enumerable.Range(0, 10).Average(i => (double)items.Embeddings[i * 8 + j]);
        Assert.Equal(mean, index.Center!);
        var centred = items.Embeddings.Select((v, i) => v - mean[i % 8]).ToArray();
        Assert.Equal(ScalarReference.ProjectPack(centred, 10, 8, planes.Normals, null, 50), index.Codes.ToArray());
        Assert.Equal(items.Embeddings, index.Embeddings.ToArray());
        Assert.True(index.Contains("a", items.ContentHashes[1]));
        Assert.False(index.Contains("b", items.ContentHashes[1]));      // enrolled in another class
        Assert.False(index.Contains("zzz", items.ContentHashes[1]));

        var uncentred = SupportIndex.Create(backend, IndexTestData.Checksum, planes, center: false, items);
        Assert.Null(uncentred.Center);
        Assert.Equal(ScalarReference.ProjectPack(items.Embeddings, 10, 8, planes.Normals, null, 50), uncentred.Codes.ToArray());
    }

    [Fact]
    public void AddingKeepsStoredItemsAndTheFrozenCentre()
    {
        using var backend = new CpuBackend();
        var first = IndexTestData.Index(n: 9, dim: 8, bits: 45, classes: ["x", "y", "z"]);
        var more = IndexTestData.Items(5, 8, ["new", "y"], 21);
        var added = first.Add(backend, more);
        Assert.Equal(["x", "y", "z", "new"], added.ClassNames);
        Assert.Equal([.. first.Labels, 3, 1, 3, 1, 3], added.Labels.ToArray());
        Assert.Equal(first.Center, added.Center);
        Assert.Equal(first.Codes.ToArray(), added.Codes[..first.Codes.Length].ToArray());
        Assert.Equal(first.Embeddings.ToArray(), added.Embeddings[..first.Embeddings.Length].ToArray());
        var centred = more.Embeddings.Select((v, i) => v - first.Center![i % 8]).ToArray();
        Assert.Equal(ScalarReference.ProjectPack(centred, 5, 8, first.Planes.Normals, null, 45), added.Codes[first.Codes.Length..].ToArray());
        Assert.True(added.Contains("new", more.ContentHashes[0]));
        // The original is unchanged.
        Assert.Equal(9, first.Count);

        // Re-centring: the mean of all 14 embeddings, every code recomputed from the stored embeddings.
        var recentred = added.Recentered(backend);
        var all = added.Embeddings.ToArray();
        var mean = new float[8];
        for (int j = 0; j < 8; j++) mean[j] = (float)Enumerable.Range(0, 14).Average(i => (double)all[i * 8 + j]);
        Assert.Equal(mean, recentred.Center!);
        Assert.Equal(ScalarReference.ProjectPack(all.Select((v, i) => v - mean[i % 8]).ToArray(), 14, 8, added.Planes.Normals, null, 45),
            recentred.Codes.ToArray());
        Assert.Equal(added.Labels.ToArray(), recentred.Labels.ToArray());
    }

    [Fact]
    public void BadItemsAreRejected()
    {
        using var backend = new CpuBackend();
        var planes = Hyperplanes.Generate(PlaneFamily.Gaussian, 10, 4, 1);
        Assert.Throws<Lshk.Core.InputException>(() => SupportIndex.Create(backend, IndexTestData.Checksum, planes, true, IndexTestData.Items(0, 4, ["a"], 1)));
        Assert.Throws<Lshk.Core.InputException>(() => SupportIndex.Create(backend, IndexTestData.Checksum, planes, true, IndexTestData.Items(3, 5, ["a"], 1)));
        Assert.Throws<ArgumentException>(() => SupportIndex.Create(backend, "ABC", planes, true, IndexTestData.Items(3, 4, ["a"], 1)));
        Assert.Throws<Lshk.Core.InputException>(() => IndexTestData.Items(3, 4, [""], 1));
        var items = IndexTestData.Items(2, 4, ["a"], 1);
        items.Embeddings[3] = float.PositiveInfinity;
        Assert.Throws<ArgumentException>(() => new SupportItems(items.Classes, items.Embeddings, 4, items.ContentHashes));
    }
}
