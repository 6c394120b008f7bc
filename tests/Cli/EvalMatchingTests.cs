using Lshk.App.Evaluation;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Gpu;
using Lshk.Tests.Gpu;

namespace Lshk.Tests.Cli;

/// <summary>The matching methods and the accuracy statistics on cases small enough to work out by hand.</summary>
public class EvalMatchingTests
{
    [Fact]
    public void ConfidenceIntervalIsTheNormalApproximation()
    {
        // Episodes at 100%, 50%, 0%: mean 0.5; sd with n − 1 = √((0.25 + 0 + 0.25) / 2) = 0.5; CI = 1.96 · 0.5 / √3.
        var s = AccuracyStats.Of([1.0, 0.5, 0.0]);
        Assert.Equal(0.5, s.Mean, 12);
        Assert.Equal(1.96 * 0.5 / Math.Sqrt(3), s.Ci95, 12);
        Assert.Equal(3, s.Count);
        Assert.Equal(0.5 - 1.96 * 0.5 / Math.Sqrt(3), s.Low, 12);
        Assert.Equal(0.5 + 1.96 * 0.5 / Math.Sqrt(3), s.High, 12);
        // Identical episodes: no spread.
        Assert.Equal(0.0, AccuracyStats.Of([0.8, 0.8, 0.8, 0.8]).Ci95, 12);
    }

    [Fact]
    public void FixedSupportIntervalIsWilsons()
    {
        // Published 95% Wilson intervals (z = 1.96): 8 of 10 → [0.4902, 0.9433]; 10 of 10 → [0.7225, 1]; 0 of 20 → [0, 0.1611].
        var eight = AccuracyStats.Wilson(8, 10);
        Assert.Equal(0.8, eight.Mean, 12);
        Assert.Equal(0.4902, eight.Low, 4);
        Assert.Equal(0.9433, eight.High, 4);
        Assert.Equal((eight.High - eight.Low) / 2, eight.Ci95, 12);
        Assert.Equal(10, eight.Count);
        var all = AccuracyStats.Wilson(10, 10);
        Assert.Equal(0.7225, all.Low, 4);
        Assert.Equal(1.0, all.High, 12);
        var none = AccuracyStats.Wilson(0, 20);
        Assert.Equal(0.0, none.Low, 12);
        Assert.Equal(0.1611, none.High, 4);
        // Unlike the normal approximation, the interval keeps a width at 100 %.
        Assert.True(all.Ci95 > 0.1);
    }

    [Trait(TestGpu.Trait, TestGpu.Kernels)]
    [Fact]
    public void EuclideanAndCosineMeansDisagreeWhereMagnitudeMatters()
    {
        using var cpu = new CpuBackend();
        using var sim = TestGpu.Open();
        // Class 0 supports (8,0) and (12,0): mean (10,0). Class 1: (0,1) twice: mean (0,1).
        float[] support = [8, 0, 12, 0, 0, 1, 0, 1];
        int[] labels = [0, 0, 1, 1];
        // Query (2,1): squared distances 64 + 1 = 65 to (10,0) and 4 + 0 = 4 to (0,1) → Euclidean says class 1;
        // cosines 2/√5 ≈ 0.89 with (10,0) and 1/√5 ≈ 0.45 with (0,1) → cosine says class 0.
        // Query (9,0.5): squared distances 1.25 and 81.25 → class 0 both ways.
        float[] queries = [2, 1, 9, 0.5f];
        foreach (var backend in new Lshk.Kernels.IComputeBackend[] { cpu, sim })
        {
            Assert.Equal([1, 0], Matching.EuclideanMean(backend, support, 4, 2, labels, 2, queries, 2));
            Assert.Equal([0, 0], Matching.CosineMean(backend, support, 4, 2, labels, 2, queries, 2));
            // Nearest support by cosine: (2,1) is closest in angle to (8,0)/(12,0) (all at the same angle), the first wins.
            Assert.Equal([0, 0], Matching.CosineNearest(backend, support, 4, 2, labels, queries, 2));
        }
    }

    [Trait(TestGpu.Trait, TestGpu.Kernels)]
    [Fact]
    public void HammingNearestAndMajorityDisagreeOnAHandCase()
    {
        using var cpu = new CpuBackend();
        using var sim = TestGpu.Open();
        // 4-bit codes. Class 0: 0011 and 1100 → each bit set in 1 of 2 codes, ties give 1 → majority 1111.
        // Class 1: 0111 → majority 0111.
        uint[] support = [0b0011, 0b1100, 0b0111];
        int[] labels = [0, 0, 1];
        // Query 0011: nearest support is 0011 itself (distance 0) → class 0;
        // against the majority codes: distance 2 to 1111, 1 to 0111 → class 1.
        // Query 1000: nearest support 1100 (distance 1, class 0); distance 3 to 1111 vs 4 to 0111 → class 0.
        uint[] queries = [0b0011, 0b1000];
        foreach (var backend in new Lshk.Kernels.IComputeBackend[] { cpu, sim })
        {
            Assert.Equal([0, 0], Matching.HammingNearest(backend, support, 3, 4, labels, queries, 2));
            Assert.Equal([1, 0], Matching.HammingMajority(backend, support, 3, 4, labels, 2, queries, 2));
        }
    }

    [Fact]
    public void SigmoidScoreCountsAgreeingSigns()
    {
        using var cpu = new CpuBackend();
        // Two planes, query projections (−0.5, −2). Support 0 (−1, −1), label 1, agrees in sign on both planes:
        // score ≈ 2; support 1 (1, 1), label 2, on none: ≈ 0; support 2 (1, −1), label 0, on one: ≈ 1.
        float[] support = [-1, -1, 1, 1, 1, -1];
        int[] labels = [1, 2, 0];
        float[] query = [-0.5f, -2f];
        Assert.Equal([1], Matching.Sigmoid(cpu, support, 3, 2, labels, query, 1, 50f));
        // With support 0 removed, the partly agreeing support 2 wins.
        Assert.Equal([0], Matching.Sigmoid(cpu, support.AsSpan(2), 2, 2, labels.AsSpan(1), query, 1, 50f));
    }

    [Fact]
    public void ArgMaxTakesTheLowestIndexAmongEquals()
    {
        Assert.Equal(1, Matching.ArgMax([0f, 3f, 3f, -1f]));
        Assert.Equal(0, Matching.ArgMax([2f]));
        Assert.Equal(0.5, EvaluationRunner.Fraction([1, 2, 3, 4], [1, 0, 3, 0]));
    }
}
