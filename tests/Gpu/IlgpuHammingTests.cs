using Lshk.Kernels;
using Lshk.Tests.Reference;

namespace Lshk.Tests.Gpu;

[Trait(TestGpu.Trait, TestGpu.Kernels)]
[Collection(SimulatorCollection.Name)]
public class IlgpuHammingTests(SimulatorFixture fx)
{
    /// <summary>(bits, supports, k): N = 0, N &lt; k, k = 1, k &gt; 1 with several supports per lane, for every plane count.</summary>
    public static TheoryData<int, int, int> Cases()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int bits in new[] { 1, 31, 32, 33, 100, 256, 1000 })
        {
            data.Add(bits, 0, 3);    // no supports: all padding
            data.Add(bits, 5, 8);    // fewer supports than k (and than lanes)
            data.Add(bits, 70, 1);   // k = 1
            data.Add(bits, 90, 6);   // k > 1, up to 3 supports per lane
        }
        return data;
    }

    private void AssertSameAsCpuAndReference(uint[] supports, int n, uint[] queries, int q, int bits, int k)
    {
        using var gpuIndex = fx.Gpu.CreateHammingIndex(supports, n, bits);
        using var cpuIndex = fx.Cpu.CreateHammingIndex(supports, n, bits);
        var gpu = gpuIndex.Search(queries, q, k);
        var cpu = cpuIndex.Search(queries, q, k);
        var (idx, score) = ScalarReference.HammingTopK(supports, n, queries, q, bits, k);
        Assert.Equal(idx, gpu.Indices);
        Assert.Equal(score, gpu.Scores);
        Assert.Equal(cpu.Indices, gpu.Indices);
        Assert.Equal(cpu.Scores, gpu.Scores);
        Assert.Equal(TopK.MissingCount, gpu.Missing);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TopKMatchesCpuAndReference(int bits, int n, int k)
    {
        var rng = new Random(bits * 1000 + n * 10 + k);
        const int q = 5;
        uint[] supports = GpuTestData.Codes(rng, n, bits);
        uint[] queries = GpuTestData.Codes(rng, q, bits);
        if (n > 0) Array.Copy(supports, 0, queries, 0, (bits + 31) / 32); // query 0 equals support 0: score = bits
        AssertSameAsCpuAndReference(supports, n, queries, q, bits, k);
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(33, 10)]
    [InlineData(256, 40)]
    public void DuplicatedCodesTieToTheLowerIndex(int bits, int k)
    {
        // Only 3 distinct codes among 100 supports: the top-k are long runs of equal scores spread over all lanes.
        var rng = new Random(7 + bits);
        const int n = 100, q = 4;
        uint[] supports = GpuTestData.DuplicatedCodes(rng, n, bits, distinct: 3);
        uint[] queries = GpuTestData.DuplicatedCodes(rng, q, bits, distinct: 3);
        AssertSameAsCpuAndReference(supports, n, queries, q, bits, k);
    }

    [Fact]
    public void ManySupportsPerLane()
    {
        // ~63 supports per lane with lists of 20: exercises insertion into full lists and 20 merge rounds.
        var rng = new Random(10);
        const int n = 2000, q = 6, bits = 48, k = 20;
        AssertSameAsCpuAndReference(GpuTestData.Codes(rng, n, bits), n, GpuTestData.Codes(rng, q, bits), q, bits, k);
    }

    [Fact]
    public void KLargerThanEverythingIsPadded()
    {
        var rng = new Random(11);
        uint[] supports = GpuTestData.Codes(rng, 40, 64);
        uint[] queries = GpuTestData.Codes(rng, 2, 64);
        AssertSameAsCpuAndReference(supports, 40, queries, 2, 64, k: 45);
    }

    [Fact]
    public void QueriesInSeveralScratchChunksGiveTheSameResult()
    {
        var rng = new Random(12);
        const int n = 77, q = 7, bits = 100, k = 5;
        uint[] supports = GpuTestData.Codes(rng, n, bits);
        uint[] queries = GpuTestData.Codes(rng, q, bits);
        long saved = fx.Gpu.TopKScratchBytes;
        try
        {
            fx.Gpu.TopKScratchBytes = 1; // one query per launch
            AssertSameAsCpuAndReference(supports, n, queries, q, bits, k);
        }
        finally
        {
            fx.Gpu.TopKScratchBytes = saved;
        }
    }

    /// <summary>
    /// Supports cut into ranges of at least <paramref name="minPerSplit"/>, one warp each, then merged: the same
    /// top k, ties included (3 distinct codes among many supports), as the CPU and the scalar reference. Sizes
    /// leave a short last range; k covers fewer-than-k ranges and more candidates than one lane's list.
    /// </summary>
    [Theory]
    [InlineData(1, 1000, 64, 32, 1)]
    [InlineData(2, 1000, 256, 32, 7)]
    [InlineData(1, 3001, 33, 64, 40)]
    [InlineData(3, 517, 1000, 32, 5)]
    [InlineData(1, 20000, 64, 32, 3)] // three launches: 63 ranges, a merge of them in 3 ranges, a merge of those
    public void SplitScansMergeToTheSameTopK(int q, int n, int bits, int minPerSplit, int k)
    {
        var rng = new Random(q * 7 + n + bits + k);
        uint[] supports = GpuTestData.DuplicatedCodes(rng, n, bits, distinct: 3);
        uint[] queries = GpuTestData.Codes(rng, q, bits);
        using var forced = fx.SplitSearches(minPerSplit);
        var (splits, length) = fx.Gpu.SplitsFor(q, n, k);
        Assert.True(splits > 1, $"{splits} split(s): the case does not exercise the merge");
        Assert.True((long)splits * length >= n && (long)(splits - 1) * length < n, "the ranges cover the supports");
        Assert.Equal(0, length % 32);
        AssertSameAsCpuAndReference(supports, n, queries, q, bits, k);
    }

    [Fact]
    public void IndexIsReusableAndDisposable()
    {
        var rng = new Random(13);
        uint[] supports = GpuTestData.Codes(rng, 50, 33);
        uint[] q1 = GpuTestData.Codes(rng, 2, 33), q2 = GpuTestData.Codes(rng, 3, 33);
        var index = fx.Gpu.CreateHammingIndex(supports, 50, 33);
        Assert.Equal(50, index.Count);
        Assert.Equal(33, index.Bits);
        var first = index.Search(q1, 2, 3);
        var second = index.Search(q2, 3, 2);
        Assert.Equal(first.Indices, index.Search(q1, 2, 3).Indices);
        Assert.Equal(ScalarReference.HammingTopK(supports, 50, q2, 3, 33, 2).idx, second.Indices);
        Assert.Empty(index.Search([], 0, 4).Indices);
        index.Dispose();
        Assert.Throws<ObjectDisposedException>(() => index.Search(q1, 2, 3));
    }
}
