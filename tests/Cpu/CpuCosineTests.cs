using Lshk.Kernels;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Random;
using Lshk.Tests.Reference;

namespace Lshk.Tests.Cpu;

public class CpuCosineTests
{
    public static TheoryData<int, int, int, int> Cases() => new()
    {
        // supports, queries, dim, k
        { 0, 3, 8, 2 },
        { 3, 4, 5, 7 },        // N < k
        { 100, 13, 1, 3 },     // dim 1: cosine is ±1 → massive ties, resolved to lower index
        { 500, 7, 64, 5 },
        { 257, 25, 576, 4 },
        { 40, 2, 33, 1 },
        { 3000, 2, 16, 3 },    // few queries: split-over-supports path
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TopKMatchesScalarReference(int n, int q, int d, int k)
    {
        float[] support = RandomArrays.Gaussian((long)n * d, 7, 1);
        float[] queries = RandomArrays.Gaussian((long)q * d, 7, 2);
        using var index = new CpuBackend().CreateCosineIndex(support, n, d);
        var got = index.Search(queries, q, k);
        var (idx, score) = ScalarReference.CosineTopK(support, n, queries, q, d, k);
        for (int r = 0; r < q; r++)
            for (int j = 0; j < k; j++)
            {
                int at = r * k + j;
                if (idx[at] < 0)
                {
                    Assert.Equal(-1, got.Indices[at]);
                    Assert.Equal(float.NegativeInfinity, got.Scores[at]);
                    continue;
                }
                Assert.True(Math.Abs(got.Scores[at] - score[at]) <= 1e-5 * Math.Max(1, Math.Abs(score[at])),
                    $"query {r} rank {j}: {got.Scores[at]} vs {score[at]}");
                // Indices must agree unless the reference itself has a near-tie at this rank.
                bool nearTie = Enumerable.Range(0, k).Any(o => o != j && idx[r * k + o] >= 0 && Math.Abs(score[r * k + o] - score[at]) < 1e-5)
                    || (j == k - 1 && NextScoreIsClose(support, n, queries, r, d, score[at], idx.AsSpan(r * k, k).ToArray()));
                if (!nearTie) Assert.Equal(idx[at], got.Indices[at]);
            }
    }

    private static bool NextScoreIsClose(float[] support, int n, float[] queries, int r, int d, double score, int[] chosen)
    {
        for (int s = 0; s < n; s++)
            if (!chosen.Contains(s) && Math.Abs(ScalarReference.Cosine(queries, r, support, s, d) - score) < 1e-5) return true;
        return false;
    }

    [Fact]
    public void ExactTiesGoToTheLowerIndex()
    {
        // Supports 0..5 are two directions repeated: every query ties among 3 supports.
        float[] support = [1, 0, 0, 1, 2, 0, 0, 3, 5, 0, 0, 7];
        float[] queries = [1, 0.1f, 0.1f, 1];
        using var index = new CpuBackend().CreateCosineIndex(support, 6, 2);
        var got = index.Search(queries, 2, 4);
        Assert.Equal([0, 2, 4, 1, 1, 3, 5, 0], got.Indices);
    }

    [Fact]
    public void ZeroVectorsHaveCosineZero()
    {
        float[] support = [0, 0, 1, 0, -1, 0];
        float[] queries = [0, 0, -1, 0];
        using var index = new CpuBackend().CreateCosineIndex(support, 3, 2);
        var got = index.Search(queries, 2, 3);
        Assert.Equal([0f, 0f, 0f], got.Scores[..3]);
        Assert.Equal([0, 1, 2], got.Indices[..3]);
        Assert.Equal([2, 0, 1], got.Indices[3..]);
        Assert.Equal(1f, got.Scores[3], 6);
    }
}
