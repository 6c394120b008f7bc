using Lshk.Kernels.Random;
using Lshk.Lsh.Fitting;

namespace Lshk.Tests.Lsh.Fitting;

public class LinearSvmTests
{
    private static readonly SvmOptions Tight = new() { Tolerance = 1e-9 };

    [Fact]
    public void TwoSymmetricPointsGiveTheUnitMarginSolution()
    {
        // x = ±1 with y = ±1: by symmetry b = 0; ½w² + 2·max(0, 1 − w) is smallest at w = 1; α = ½ each (w = Σαyx).
        var svm = LinearSvm.Train([1.0, -1.0], 2, 1, [1, -1], Tight);
        Assert.Equal(1.0, svm.Weights[0], 8);
        Assert.Equal(0.0, svm.Bias, 8);
        Assert.Equal([0.5, 0.5], svm.Alphas.Select(a => Math.Round(a, 8)));
    }

    [Fact]
    public void FourSymmetricPointsIgnoreTheUninformativeFeature()
    {
        // Class +1 at (1, ±1), class −1 at (−1, ±1): w = (1, 0), b = 0. The dual optimum is not unique here (four
        // support vectors for three weights); every optimum has Σα = w₁ = 1, since each yᵢxᵢ₁ = 1.
        var svm = LinearSvm.Train([1, 1, 1, -1, -1, 1, -1, -1], 4, 2, [1, 1, -1, -1], Tight);
        Assert.Equal(1.0, svm.Weights[0], 8);
        Assert.Equal(0.0, svm.Weights[1], 8);
        Assert.Equal(0.0, svm.Bias, 8);
        Assert.Equal(1.0, svm.Alphas.Sum(), 8);
        Assert.All(svm.Alphas, a => Assert.InRange(a, 0, 1));
    }

    [Fact]
    public void OffCentrePairHardAndSoftMarginSolutionsMatchTheHandDerivation()
    {
        // x = 3 (y = +1), x = 1 (y = −1); the bias is the weight of a constant feature 1, so x̃ = (3, 1), (1, 1).
        // Dual Hessian Q = [[10, −4], [−4, 2]]. Unconstrained, Qα = 1 gives α = (1.5, 3.5), w̃ = 1.5·(3,1) − 3.5·(1,1)
        // = (1, −2): with C = 10 that is the solution, both points on their margins (f(3) = 1, f(1) = −1).
        var hard = LinearSvm.Train([3.0, 1.0], 2, 1, [1, -1], Tight with { C = 10 });
        Assert.Equal(1.0, hard.Weights[0], 7);
        Assert.Equal(-2.0, hard.Bias, 7);
        Assert.Equal(1.5, hard.Alphas[0], 7);
        Assert.Equal(3.5, hard.Alphas[1], 7);
        // With C = 1, α₂ hits the box (its gradient −4α₁ + 2α₂ − 1 stays negative) and α₁ = (1 + 4)/10 = ½:
        // w̃ = ½·(3,1) − (1,1) = (½, −½); then f(3) = 1 (on the margin) and f(1) = 0 (inside it, as α₂ = C allows).
        var soft = LinearSvm.Train([3.0, 1.0], 2, 1, [1, -1], Tight);
        Assert.Equal(0.5, soft.Weights[0], 7);
        Assert.Equal(-0.5, soft.Bias, 7);
        Assert.Equal(0.5, soft.Alphas[0], 7);
        Assert.Equal(1.0, soft.Alphas[1], 7);
    }

    [Fact]
    public void KktConditionsHoldWithinTheToleranceOnOverlappingClasses()
    {
        const int n = 200, d = 5;
        var (x, y) = Overlapping(n, d, 31);
        var options = new SvmOptions { Tolerance = 1e-4 };
        var svm = LinearSvm.Train(x, n, d, y, options);
        Assert.True(svm.Converged);
        Assert.True(svm.Gap <= options.Tolerance);
        int bounded = 0, free = 0;
        for (int i = 0; i < n; i++)
        {
            double margin = y[i] * svm.Decision(x.AsSpan(i * d, d));
            double a = svm.Alphas[i];
            Assert.InRange(a, 0, options.C);
            if (a == 0) Assert.True(margin >= 1 - options.Tolerance, $"α = 0 but y·f = {margin}");
            else if (a == options.C) { Assert.True(margin <= 1 + options.Tolerance, $"α = C but y·f = {margin}"); bounded++; }
            else { Assert.True(Math.Abs(margin - 1) <= options.Tolerance, $"0 < α < C but y·f = {margin}"); free++; }
        }
        // The data overlap, so some points sit inside the margin (α = C) and some on it.
        Assert.True(bounded > 0 && free > 0, $"{bounded} at C, {free} free");
        // w = Σ αᵢ yᵢ xᵢ and b = Σ αᵢ yᵢ: the primal and dual solutions are one.
        for (int j = 0; j < d; j++) Assert.Equal(Enumerable.Range(0, n).Sum(i => svm.Alphas[i] * y[i] * x[i * d + j]), svm.Weights[j], 9);
        Assert.Equal(Enumerable.Range(0, n).Sum(i => svm.Alphas[i] * y[i]), svm.Bias, 9);
        // Weak duality closes: the primal exceeds the dual by at most what the tolerance leaves (C·n·tolerance).
        double primal = LinearSvm.PrimalObjective(svm.Weights, svm.Bias, x, n, y, options.C);
        Assert.InRange(primal - svm.DualObjective(), 0, options.C * n * options.Tolerance);
    }

    [Fact]
    public void PrimalMatchesABruteForceMinimisationOnATinyProblem()
    {
        // Six overlapping points in 2-D, C = 1: a float64 coarse-to-fine grid search over (w₁, w₂, b) of the primal.
        double[] x = [2, 1, 0.5, 2, -1, 0.2, -0.5, -1, 1, -0.8, 0.3, 0.4];
        int[] y = [1, 1, 1, -1, -1, -1];
        var svm = LinearSvm.Train(x, 6, 2, y, Tight);
        var (best, bestValue) = BruteForce(theta => LinearSvm.PrimalObjective(theta.AsSpan(0, 2), theta[2], x, 6, y, 1.0));
        double value = LinearSvm.PrimalObjective(svm.Weights, svm.Bias, x, 6, y, 1.0);
        Assert.True(value <= bestValue + 1e-9, $"SVM primal {value} vs brute force {bestValue}");
        // The primal is 1-strongly convex, so equal objectives mean equal parameters.
        Assert.Equal(best[0], svm.Weights[0], 4);
        Assert.Equal(best[1], svm.Weights[1], 4);
        Assert.Equal(best[2], svm.Bias, 4);
    }

    [Fact]
    public void SeedFixesTheResultAndEveryOrderReachesTheSameOptimum()
    {
        const int n = 120, d = 4;
        var (x, y) = Overlapping(n, d, 8);
        var a = LinearSvm.Train(x, n, d, y, new SvmOptions { Seed = 1, Tolerance = 1e-8 });
        var b = LinearSvm.Train(x, n, d, y, new SvmOptions { Seed = 1, Tolerance = 1e-8 });
        var c = LinearSvm.Train(x, n, d, y, new SvmOptions { Seed = 2, Tolerance = 1e-8 });
        Assert.Equal(a.Weights, b.Weights);
        Assert.Equal(a.Bias, b.Bias);
        for (int j = 0; j < d; j++) Assert.Equal(a.Weights[j], c.Weights[j], 5);
        Assert.Equal(a.Bias, c.Bias, 5);
    }

    [Fact]
    public void StopsAtTheEpochCapAndSaysSo()
    {
        const int n = 200, d = 5;
        var (x, y) = Overlapping(n, d, 31);
        var svm = LinearSvm.Train(x, n, d, y, new SvmOptions { Tolerance = 1e-12, MaxEpochs = 2 });
        Assert.Equal(2, svm.Epochs);
        Assert.False(svm.Converged);
        Assert.True(svm.Gap > 1e-12);
    }

    [Fact]
    public void RejectsLabelsOtherThanPlusOrMinusOneAndBadOptions()
    {
        Assert.Throws<ArgumentException>(() => LinearSvm.Train([1.0, 2.0], 2, 1, [1, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => LinearSvm.Train([1.0, 2.0], 2, 1, [1, -1], new SvmOptions { C = 0 }));
        Assert.Throws<ArgumentException>(() => LinearSvm.Train([1.0, double.NaN], 2, 1, [1, -1]));
    }

    /// <summary>Two Gaussian classes whose means are 1.5 apart along a random direction: they overlap.</summary>
    internal static (double[] X, int[] Y) Overlapping(int n, int d, ulong seed)
    {
        var g = RandomArrays.Gaussian((long)n * d, seed, 0);
        var direction = RandomArrays.Gaussian(d, seed, 1);
        double norm = Math.Sqrt(direction.Sum(v => (double)v * v));
        var x = new double[n * d];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % 2 == 0 ? 1 : -1;
            for (int j = 0; j < d; j++) x[i * d + j] = g[i * d + j] + 0.75 * y[i] * direction[j] / norm + 0.3;
        }
        return (x, y);
    }

    private static (double[] Best, double Value) BruteForce(Func<double[], double> f)
    {
        const int steps = 10;
        var center = new double[3];
        double half = 8, value = f(center);
        for (int round = 0; round < 80; round++)
        {
            var best = (double[])center.Clone();
            for (int a = -steps; a <= steps; a++)
                for (int b = -steps; b <= steps; b++)
                    for (int c = -steps; c <= steps; c++)
                    {
                        double[] theta = [center[0] + half * a / steps, center[1] + half * b / steps, center[2] + half * c / steps];
                        double v = f(theta);
                        if (v < value) { value = v; best = theta; }
                    }
            center = best;
            half *= 0.5;
        }
        return (center, value);
    }
}
