using Lshk.Kernels.Cpu;
using Lshk.Kernels.Random;
using Lshk.Tests.Reference;

namespace Lshk.Tests.Cpu;

public class CpuSigmoidTests
{
    [Theory]
    [InlineData(30, 4, 16, 3, 50f)]
    [InlineData(5, 3, 1, 8, 1f)]
    [InlineData(0, 2, 7, 2, 50f)]
    [InlineData(200, 6, 100, 5, 0.5f)]
    public void TopKMatchesReference(int n, int q, int p, int k, float sharpness)
    {
        float[] sp = RandomArrays.Gaussian((long)n * p, 11, 1);
        float[] qp = RandomArrays.Gaussian((long)q * p, 11, 2);
        var got = new CpuBackend().SigmoidTopK(qp, q, sp, n, p, sharpness, k);
        for (int r = 0; r < q; r++)
        {
            var expected = Enumerable.Range(0, n)
                .Select(s => (s, score: ScalarReference.SigmoidScore(qp, r, sp, s, p, sharpness)))
                .OrderByDescending(t => t.score).ThenBy(t => t.s).ToArray();
            for (int j = 0; j < k; j++)
            {
                if (j >= n)
                {
                    Assert.Equal(-1, got.Indices[r * k + j]);
                    continue;
                }
                Assert.Equal(expected[j].score, got.Scores[r * k + j], 1e-4 * Math.Max(1, expected[j].score));
                bool tie = j + 1 < expected.Length && Math.Abs(expected[j + 1].score - expected[j].score) < 1e-4
                    || j > 0 && Math.Abs(expected[j - 1].score - expected[j].score) < 1e-4;
                if (!tie) Assert.Equal(expected[j].s, got.Indices[r * k + j]);
            }
        }
    }

    [Fact]
    public void ScoreCountsAgreeingSignsWhenSharp()
    {
        // With a large sharpness every term is ~0 or ~1: the score counts planes where signs agree.
        float[] q = [1, -2, 3, -4];
        float[] s = [5, 6, 7, -8];    // agree on planes 0, 2, 3
        var got = new CpuBackend().SigmoidTopK(q, 1, s, 1, 4, 50f, 1);
        Assert.Equal(3f, got.Scores[0], 1e-4);
    }
}
