using Lshk.Kernels;
using Lshk.Kernels.Cpu;
using Lshk.Tests.Reference;

namespace Lshk.Tests.Cpu;

public class CpuHammingTests
{
    private static uint[] RandomCodes(System.Random rng, int n, int bits, int distinct = 0)
    {
        int words = Check.Words(bits);
        var codes = new uint[n * words];
        for (int r = 0; r < n; r++)
        {
            int source = distinct > 0 ? r % distinct : r;
            var local = new System.Random(distinct > 0 ? source * 7919 + bits : rng.Next());
            for (int j = 0; j < words; j++)
            {
                uint w = (uint)local.NextInt64(0, 1L << 32);
                int valid = Math.Min(32, bits - j * 32);
                if (valid < 32) w &= (1u << valid) - 1;
                codes[r * words + j] = w;
            }
        }
        return codes;
    }

    public static TheoryData<int, int, int, int, int> Cases() => new()
    {
        // bits, supports, queries, k, distinct codes (0 = all random; >0 = duplicates → ties)
        { 1, 50, 7, 3, 0 },
        { 31, 200, 9, 1, 0 },
        { 32, 200, 9, 5, 0 },
        { 33, 123, 9, 5, 0 },
        { 100, 301, 17, 4, 0 },
        { 256, 1000, 33, 5, 0 },
        { 1000, 97, 5, 10, 0 },
        { 2048, 40, 3, 2, 0 },      // > 31 words of 64 bits: exercises the byte-counter flush
        { 64, 0, 4, 3, 0 },         // N = 0
        { 64, 3, 4, 8, 0 },         // N < k
        { 256, 400, 20, 7, 13 },    // many duplicated codes: ties to the lower index
        { 8, 500, 11, 20, 0 },      // tiny codes: ties everywhere
        { 64, 5000, 1, 5, 0 },      // few queries: the split-over-supports path with merge
        { 96, 5000, 3, 9, 37 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TopKMatchesScalarReference(int bits, int n, int q, int k, int distinct)
    {
        var rng = new System.Random(bits * 1000 + n);
        uint[] support = RandomCodes(rng, n, bits, distinct);
        uint[] queries = distinct > 0 ? RandomCodes(rng, q, bits, distinct) : RandomCodes(rng, q, bits);
        using var index = new CpuBackend().CreateHammingIndex(support, n, bits);
        var got = index.Search(queries, q, k);
        var (idx, score) = ScalarReference.HammingTopK(support, n, queries, q, bits, k);
        Assert.Equal(idx, got.Indices);
        Assert.Equal(score, got.Scores);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(200)]
    public void ScalarPathMatchesVectorPath(int bits)
    {
        uint[] support = RandomCodes(new System.Random(3), 700, bits, 50);
        uint[] queries = RandomCodes(new System.Random(4), 9, bits, 50);
        var index = (CpuHammingIndex)new CpuBackend().CreateHammingIndex(support, 700, bits);
        var vector = index.Search(queries, 9, 6);
        index.UseAvx512 = false;
        var scalar = index.Search(queries, 9, 6);
        Assert.Equal(vector.Indices, scalar.Indices);
        Assert.Equal(vector.Scores, scalar.Scores);
        var (idx, _) = ScalarReference.HammingTopK(support, 700, queries, 9, bits, 6);
        Assert.Equal(idx, scalar.Indices);
    }

    /// <summary>
    /// The path without AVX-512 (the one AVX2 machines take): every code length that picks a different kernel
    /// (one word, four words, any other), query counts that give whole groups of four, a remainder, or single
    /// queries only (which also splits the supports across threads and merges), N = 0, N &lt; k and ties.
    /// </summary>
    public static TheoryData<int, int, int, int, int> PopCountCases()
    {
        var cases = new TheoryData<int, int, int, int, int>();
        foreach (int bits in new[] { 1, 31, 32, 33, 64, 100, 256, 1000 })
        {
            cases.Add(bits, 1000, 1, 5, 0);     // one query: split over supports
            cases.Add(bits, 1000, 4, 5, 0);     // one group of four
            cases.Add(bits, 997, 11, 6, 0);     // groups and a remainder; N not a multiple of 8
            cases.Add(bits, 0, 5, 3, 0);        // N = 0
            cases.Add(bits, 3, 6, 8, 0);        // N < k
            cases.Add(bits, 600, 9, 7, 11);     // duplicated codes: ties to the lower index
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(PopCountCases))]
    public void PopCountPathMatchesScalarReference(int bits, int n, int q, int k, int distinct)
    {
        var rng = new System.Random(bits * 1000 + n + q);
        uint[] support = RandomCodes(rng, n, bits, distinct);
        uint[] queries = distinct > 0 ? RandomCodes(rng, q, bits, distinct) : RandomCodes(rng, q, bits);
        using var index = (CpuHammingIndex)new CpuBackend().CreateHammingIndex(support, n, bits);
        index.UseAvx512 = false;
        var got = index.Search(queries, q, k);
        var (idx, score) = ScalarReference.HammingTopK(support, n, queries, q, bits, k);
        Assert.Equal(idx, got.Indices);
        Assert.Equal(score, got.Scores);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        using var backend = new CpuBackend();
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.CreateHammingIndex(new uint[2], 2, 0));
        using var index = backend.CreateHammingIndex(new uint[4], 2, 64);
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search(new uint[2], 1, 0));
        Assert.Throws<ArgumentException>(() => index.Search(new uint[3], 1, 1));
    }
}
