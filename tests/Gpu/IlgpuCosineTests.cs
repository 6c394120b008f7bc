using Lshk.Tests.Reference;

namespace Lshk.Tests.Gpu;

[Trait(TestGpu.Trait, TestGpu.Kernels)]
[Collection(SimulatorCollection.Name)]
public class IlgpuCosineTests(SimulatorFixture fx)
{
    [Theory]
    [InlineData(60, 16, 1)]
    [InlineData(60, 64, 7)]
    [InlineData(5, 9, 8)]    // fewer supports than k: padded with -1 / -inf
    [InlineData(130, 3, 4)]  // low dimension: many near-ties
    [InlineData(700, 8, 12)] // ~22 supports per lane
    public void TopKMatchesCpuAndReference(int n, int d, int k)
    {
        var rng = new Random(n * 100 + d + k);
        const int q = 5;
        float[] supports = GpuTestData.Floats(rng, n * d);
        float[] queries = GpuTestData.Floats(rng, q * d);
        Array.Clear(supports, d, d); // support 1 is a zero vector: cosine 0 with everything
        using var gpuIndex = fx.Gpu.CreateCosineIndex(supports, n, d);
        using var cpuIndex = fx.Cpu.CreateCosineIndex(supports, n, d);
        Assert.Equal(n, gpuIndex.Count);
        Assert.Equal(d, gpuIndex.Dim);
        var gpu = gpuIndex.Search(queries, q, k);
        var cpu = cpuIndex.Search(queries, q, k);
        Assert.Equal(float.NegativeInfinity, gpu.Missing);
        for (int r = 0; r < q; r++)
        {
            double[] exact = Enumerable.Range(0, n).Select(s => ScalarReference.Cosine(queries, r, supports, s, d)).ToArray();
            GpuTestData.AssertFloatTopK(exact, gpu.IndexRow(r), gpu.ScoreRow(r), k, $"query {r} vs reference");
            for (int j = 0; j < k; j++)
            {
                if (cpu.IndexRow(r)[j] < 0) Assert.Equal(-1, gpu.IndexRow(r)[j]);
                else GpuTestData.AssertClose(cpu.ScoreRow(r)[j], gpu.ScoreRow(r)[j], $"query {r} rank {j} vs CPU");
            }
        }
    }

    [Fact]
    public void SplitScansGiveTheSameTopKAsTheCpu()
    {
        // One query over 900 supports in ranges of at least 32 (several ranges per simulated warp slot), k = 9.
        var rng = new Random(21);
        const int n = 900, d = 8, q = 1, k = 9;
        float[] supports = GpuTestData.Floats(rng, n * d);
        float[] queries = GpuTestData.Floats(rng, q * d);
        Array.Copy(supports, 0, supports, 450 * d, d); // an exact duplicate in a later range: ties keep index order
        using var forced = fx.SplitSearches(32);
        Assert.True(fx.Gpu.SplitsFor(q, n, k).Splits > 1);
        using var gpuIndex = fx.Gpu.CreateCosineIndex(supports, n, d);
        using var cpuIndex = fx.Cpu.CreateCosineIndex(supports, n, d);
        var gpu = gpuIndex.Search(queries, q, k);
        var cpu = cpuIndex.Search(queries, q, k);
        double[] exact = Enumerable.Range(0, n).Select(s => ScalarReference.Cosine(queries, 0, supports, s, d)).ToArray();
        GpuTestData.AssertFloatTopK(exact, gpu.IndexRow(0), gpu.ScoreRow(0), k, "split scan vs reference");
        Assert.Equal(cpu.IndexRow(0).ToArray(), gpu.IndexRow(0).ToArray());
    }

    [Fact]
    public void ZeroVectorsScoreZeroAndTieToLowerIndices()
    {
        const int d = 4;
        float[] supports = [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, -1, 0, 0, 0];
        float[] queries = [0, 0, 0, 0, 3, 0, 0, 0];
        using var index = fx.Gpu.CreateCosineIndex(supports, 4, d);
        var top = index.Search(queries, 2, 4);
        // zero query: every cosine is 0, so the order is just the index order
        Assert.Equal([0, 1, 2, 3], top.IndexRow(0).ToArray());
        Assert.Equal([0f, 0f, 0f, 0f], top.ScoreRow(0).ToArray());
        // query along +x: support 1 (cos 1), then the zero supports 0 and 2 (cos 0), then support 3 (cos -1)
        Assert.Equal([1, 0, 2, 3], top.IndexRow(1).ToArray());
        Assert.Equal([1f, 0f, 0f, -1f], top.ScoreRow(1).ToArray());
    }

    [Fact]
    public void EmptyIndexPadsEveryRow()
    {
        using var index = fx.Gpu.CreateCosineIndex([], 0, 5);
        var top = index.Search(GpuTestData.Floats(new Random(1), 10), 2, 3);
        Assert.All(top.Indices, i => Assert.Equal(-1, i));
        Assert.All(top.Scores, s => Assert.Equal(float.NegativeInfinity, s));
    }
}
