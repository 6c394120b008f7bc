using Lshk.Kernels;
using Lshk.Tests.Cpu;

namespace Lshk.Tests.Gpu;

/// <summary>The asymmetric top-k kernel (Gpu.AsymmetricKernels) against the float64 reference and, bit for bit, the CPU backend.</summary>
[Trait(TestGpu.Trait, TestGpu.Kernels)]
[Collection(SimulatorCollection.Name)]
public class IlgpuAsymmetricTests(SimulatorFixture fx)
{
    private const int K = 5;

    /// <summary>The shared grid (N = 1000 is about 31 supports per lane, lists full and churning).</summary>
    public static TheoryData<int, int, AsymmetricCase> Cases() => AsymmetricTestData.Cases(K);

    private void AssertSameAsCpuAndReference(float[] projections, int q, uint[] codes, int n, int bits, int k,
        bool exactTies, string what)
    {
        using var gpuIndex = fx.Gpu.CreateAsymmetricIndex(codes, n, bits);
        using var cpuIndex = fx.Cpu.CreateAsymmetricIndex(codes, n, bits);
        var gpu = gpuIndex.Search(projections, q, k);
        var cpu = cpuIndex.Search(projections, q, k);
        AsymmetricTestData.AssertMatchesReference(projections, q, codes, n, bits, k, gpu, exactTies, what);
        // Both backends sum the same fixed-point integers: identical indices and scores.
        Assert.Equal(cpu.Indices, gpu.Indices);
        Assert.Equal(cpu.Scores, gpu.Scores);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TopKMatchesCpuAndReference(int bits, int n, AsymmetricCase kind)
    {
        const int q = 3;
        var (projections, codes) = AsymmetricTestData.Make(kind, bits * 7919 + n * 31 + (int)kind, q, n, bits);
        AssertSameAsCpuAndReference(projections, q, codes, n, bits, K, kind == AsymmetricCase.Ties,
            $"P={bits} N={n} {kind}");
    }

    [Fact]
    public void LongListsAndPaddingMatch()
    {
        // k = 40 over 70 supports: lists of up to 3 per lane and 40 merge rounds; k = 75 > N pads each row after 70.
        var (projections, codes) = AsymmetricTestData.Make(AsymmetricCase.Ties, 21, 4, 70, 300);
        AssertSameAsCpuAndReference(projections, 4, codes, 70, 300, 40, exactTies: true, "k=40");
        AssertSameAsCpuAndReference(projections, 4, codes, 70, 300, 75, exactTies: true, "k=75 > N");
    }

    [Fact]
    public void QueriesInSeveralScratchChunksGiveTheSameResult()
    {
        var (projections, codes) = AsymmetricTestData.Make(AsymmetricCase.Random, 22, 7, 150, 100);
        long saved = fx.Gpu.TopKScratchBytes;
        try
        {
            fx.Gpu.TopKScratchBytes = 1; // one query per launch
            AssertSameAsCpuAndReference(projections, 7, codes, 150, 100, K, exactTies: false, "chunked");
        }
        finally
        {
            fx.Gpu.TopKScratchBytes = saved;
        }
    }

    /// <summary>
    /// Supports cut into ranges, one warp each, and the ranges' candidates merged in levels: the same top k, ties
    /// included, as the CPU and the reference. (1, 20000, 3): 63 ranges, a merge of them in 3 ranges, a merge of those.
    /// </summary>
    [Theory]
    [InlineData(1, 1000, 64, 32, 1)]
    [InlineData(2, 1000, 300, 32, 7)]
    [InlineData(1, 3001, 33, 64, 40)]
    [InlineData(1, 20000, 64, 32, 3)]
    public void SplitScansMergeToTheSameTopK(int q, int n, int bits, int minPerSplit, int k)
    {
        var (projections, codes) = AsymmetricTestData.Make(AsymmetricCase.Ties, q * 7 + n + bits + k, q, n, bits);
        using var forced = fx.SplitSearches(minPerSplit);
        Assert.True(fx.Gpu.SplitsFor(q, n, k).Splits > 1, "the case does not exercise the merge");
        AssertSameAsCpuAndReference(projections, q, codes, n, bits, k, exactTies: true, $"split q={q} N={n} k={k}");
    }

    [Fact]
    public void IndexIsReusableAndDisposable()
    {
        var (projections, codes) = AsymmetricTestData.Make(AsymmetricCase.Random, 23, 2, 50, 33);
        var index = fx.Gpu.CreateAsymmetricIndex(codes, 50, 33);
        Assert.Equal(50, index.Count);
        Assert.Equal(33, index.Bits);
        var first = index.Search(projections, 2, 3);
        Assert.Equal(first.Indices, index.Search(projections, 2, 3).Indices);
        Assert.Empty(index.Search([], 0, 4).Indices);
        var nan = (float[])projections.Clone();
        nan[3] = float.PositiveInfinity;
        Assert.Throws<ArgumentException>(() => index.Search(nan, 2, 3));
        index.Dispose();
        Assert.Throws<ObjectDisposedException>(() => index.Search(projections, 2, 3));
    }
}
