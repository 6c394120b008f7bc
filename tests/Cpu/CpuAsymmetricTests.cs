using Lshk.Kernels;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Random;

namespace Lshk.Tests.Cpu;

public class CpuAsymmetricTests
{
    private const int K = 5;

    /// <summary>The shared grid (N = 1000 is 32 blocks of 32, with a partial last block).</summary>
    public static TheoryData<int, int, AsymmetricCase> Cases() => AsymmetricTestData.Cases(K);

    private static void AssertSearch(int bits, int n, AsymmetricCase kind, int q, bool avx2)
    {
        var (projections, codes) = AsymmetricTestData.Make(kind, bits * 7919 + n * 31 + (int)kind, q, n, bits);
        // Two threads, as on the 2-core test machine, so q decides the split on any machine.
        using var index = new CpuAsymmetricIndex(codes, n, bits) { UseAvx2 = avx2, Threads = 2 };
        var result = index.Search(projections, q, K);
        AsymmetricTestData.AssertMatchesReference(projections, q, codes, n, bits, K, result,
            exactTies: kind == AsymmetricCase.Ties, $"P={bits} N={n} {kind} q={q} avx2={avx2}");
    }

    /// <summary>9 queries: the queries are split over threads, each scanning every support (the fast scan where AVX2 is present).</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void QuerySplitMatchesReference(int bits, int n, AsymmetricCase kind) =>
        AssertSearch(bits, n, kind, q: 9, avx2: System.Runtime.Intrinsics.X86.Avx2.IsSupported);

    /// <summary>2 queries: with 1000 supports the supports are split over threads and the partial lists merged.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void SupportSplitMatchesReference(int bits, int n, AsymmetricCase kind) =>
        AssertSearch(bits, n, kind, q: 2, avx2: System.Runtime.Intrinsics.X86.Avx2.IsSupported);

    /// <summary>The portable path (every support scored exactly) gives the same result.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void ExactPathMatchesReference(int bits, int n, AsymmetricCase kind) =>
        AssertSearch(bits, n, kind, q: 9, avx2: false);

    [Fact]
    public void FastScanAndExactPathAgreeBitForBit()
    {
        foreach (int bits in new[] { 8, 64, 1000 })
        {
            var (projections, codes) = AsymmetricTestData.Make(AsymmetricCase.Random, bits, 12, 3000, bits);
            using var fast = new CpuAsymmetricIndex(codes, 3000, bits);
            using var exact = new CpuAsymmetricIndex(codes, 3000, bits) { UseAvx2 = false };
            var a = fast.Search(projections, 12, 20);
            var b = exact.Search(projections, 12, 20);
            Assert.Equal(b.Indices, a.Indices);
            Assert.Equal(b.Scores, a.Scores);
        }
    }

    [Fact]
    public void SeveralTilesAndQueryGroupsMatchReference()
    {
        // 20,000 supports of 256 bits are 3 tiles of the scan; 40 queries on 2 threads are tasks of 10, groups of 8 + 2.
        const int n = 20_000, q = 40, bits = 256, k = 7;
        var (projections, codes) = AsymmetricTestData.Make(AsymmetricCase.NearTies, 99, q, n, bits);
        using var index = new CpuAsymmetricIndex(codes, n, bits) { Threads = 2 };
        AsymmetricTestData.AssertMatchesReference(projections, q, codes, n, bits, k, index.Search(projections, q, k),
            exactTies: false, "tiles");
    }

    [Fact]
    public void QueryFindsItsOwnCodeWithScoreSumOfMagnitudes()
    {
        // Codes from the packing op and projections from the projection op: a query's own code has bit i set exactly
        // where p_i ≥ 0, so its score is Σ|p_i|, the largest any code can get.
        const int n = 300, d = 16, p = 100;
        using var backend = new CpuBackend();
        float[] x = RandomArrays.Gaussian((long)n * d, 5, 1);
        float[] planes = RandomArrays.Gaussian((long)p * d, 5, 2);
        var codes = new uint[n * Check.Words(p)];
        var projections = new float[n * p];
        backend.ProjectPack(x, n, d, planes, [], p, codes);
        backend.Project(x, n, d, planes, [], p, projections);
        using var index = backend.CreateAsymmetricIndex(codes, n, p);
        var result = index.Search(projections, n, 1);
        for (int r = 0; r < n; r++)
        {
            double magnitude = 0;
            for (int i = 0; i < p; i++) magnitude += Math.Abs(projections[r * p + i]);
            Assert.Equal((float)magnitude, result.Scores[r], 1e-6f * (float)magnitude);
            Assert.Equal(r, result.Indices[r]);
        }
    }

    [Fact]
    public void AllZeroProjectionsTieEverySupport()
    {
        var codes = new uint[40 * 2];
        new Random(3).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(codes.AsSpan()));
        using var index = new CpuAsymmetricIndex(codes, 40, 64);
        var result = index.Search(new float[64], 1, 4);
        Assert.Equal([0, 1, 2, 3], result.Indices);
        Assert.Equal([0f, 0f, 0f, 0f], result.Scores);
    }

    [Fact]
    public void ExtremeMagnitudesStayExact()
    {
        // Tiny and huge projections: the fixed-point shift is chosen per query, so neither underflows nor overflows.
        foreach (float scale in new[] { 1e-30f, 1e30f })
        {
            var (projections, codes) = AsymmetricTestData.Make(AsymmetricCase.Random, 17, 3, 500, 64);
            for (int i = 0; i < projections.Length; i++) projections[i] *= scale;
            using var index = new CpuAsymmetricIndex(codes, 500, 64);
            AsymmetricTestData.AssertMatchesReference(projections, 3, codes, 500, 64, K, index.Search(projections, 3, K),
                exactTies: false, $"scale {scale}");
        }
    }

    [Fact]
    public void RejectsBadArguments()
    {
        using var index = new CpuAsymmetricIndex(new uint[4], 2, 64);
        Assert.Throws<ArgumentException>(() => index.Search(new float[63], 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search(new float[64], 1, 0));
        var nan = new float[64];
        nan[5] = float.NaN;
        Assert.Throws<ArgumentException>(() => index.Search(nan, 1, 1));
        Assert.Throws<ArgumentException>(() => new CpuAsymmetricIndex(new uint[3], 2, 64));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CpuAsymmetricIndex([], 0, 0));
    }
}
