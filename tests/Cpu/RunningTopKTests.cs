using Lshk.Kernels;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Random;

namespace Lshk.Tests.Cpu;

/// <summary>The CPU's running top-k against a full sort (score descending, then index ascending).</summary>
public class RunningTopKTests
{
    private static (float Score, int Index)[] Expected(float[] scores, int k) =>
        scores.Select((s, i) => (s, i)).Where(t => !float.IsNaN(t.s) && t.s > TopK.MissingFloat)
            .OrderByDescending(t => t.s).ThenBy(t => t.i).Take(k).ToArray();

    private static void AssertRow(TopK<float> result, int row, (float Score, int Index)[] expected)
    {
        for (int j = 0; j < result.K; j++)
        {
            if (j < expected.Length)
            {
                Assert.Equal(expected[j].Index, result.IndexRow(row)[j]);
                Assert.Equal(expected[j].Score, result.ScoreRow(row)[j]);
            }
            else
            {
                Assert.Equal(-1, result.IndexRow(row)[j]);
                Assert.Equal(TopK.MissingFloat, result.ScoreRow(row)[j]);
            }
        }
    }

    [Theory]
    [InlineData(40, 5)]
    [InlineData(3, 5)]
    [InlineData(64, 1)]
    public void KeepsTheBestWithTiesToTheLowerIndex(int n, int k)
    {
        // scores on a coarse grid, so many tie; a NaN and a −∞ never enter
        var scores = RandomArrays.Gaussian(n, 5, 1).Select(v => MathF.Round(v * 2f) / 2f).ToArray();
        if (n > 3)
        {
            scores[1] = float.NaN;
            scores[2] = float.NegativeInfinity;
        }
        var list = RunningTopK.ForFloats(2, k);
        for (int i = 0; i < n; i++) list.Offer(1, scores[i], i);
        var result = TopK.ForFloats(2, k);
        list.WriteTo(result, 0, 2);
        AssertRow(result, 0, []);
        AssertRow(result, 1, Expected(scores, k));
    }

    [Fact]
    public void MergingPartsEqualsOneScan()
    {
        const int n = 90, k = 7, parts = 4;
        var scores = RandomArrays.Gaussian(n, 6, 1).Select(v => MathF.Round(v * 3f) / 3f).ToArray();
        int per = (n + parts - 1) / parts;
        RunningTopK<float>? merged = null;
        for (int part = 0; part < parts; part++)
        {
            var list = RunningTopK.ForFloats(1, k);
            for (int i = part * per; i < Math.Min(n, (part + 1) * per); i++) list.Offer(0, scores[i], i);
            merged = merged is null ? list : merged.MergeWith(list);
        }
        var result = TopK.ForFloats(1, k);
        merged!.WriteTo(result, 0, 1);
        AssertRow(result, 0, Expected(scores, k));
    }

    [Fact]
    public void CountsStartFromTheMissingCount()
    {
        // XNOR counts of 0 (every bit differs) still enter: they beat the padding count −1
        var list = RunningTopK.ForCounts(1, 3);
        list.Offer(0, 0, 4);
        list.Offer(0, 0, 9);
        Assert.Equal(TopK.MissingCount, list.Worst(0));
        var result = TopK.ForCounts(1, 3);
        list.WriteTo(result, 0, 1);
        Assert.Equal([4, 9, -1], result.IndexRow(0).ToArray());
        Assert.Equal([0, 0, TopK.MissingCount], result.ScoreRow(0).ToArray());
    }

    [Fact]
    public void RowsPastTheQueryCountAreDropped()
    {
        var list = RunningTopK.ForFloats(3, 1);
        for (int row = 0; row < 3; row++) list.Offer(row, row + 1f, row);
        var result = TopK.ForFloats(4, 1);
        list.WriteTo(result, 2, 4);
        Assert.Equal([-1, -1, 0, 1], result.Indices);
    }
}
