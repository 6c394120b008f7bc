using Lshk.Kernels;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Random;
using Lshk.Lsh;

namespace Lshk.Tests.Lsh;

/// <summary>
/// SimHash's defining property: for Gaussian planes a bit differs between x and y with probability θ/π,
/// θ the angle between them (Charikar 2002). So Hamming/P is an unbiased estimate of θ/π.
/// </summary>
public class SimHashStatisticsTests
{
    [Fact]
    public void MeanHammingFractionMatchesAngleOverPi()
    {
        const int pairs = 2000, p = 64, d = 24;
        using var cpu = new CpuBackend();
        var rng = new CounterRng(2024, 0);
        // Bins of angle; per pair the planes are fresh, so pairs are independent.
        var sums = new double[4];
        var counts = new int[4];
        for (int m = 0; m < pairs; m++)
        {
            // y = cos(a)·x + sin(a)·z with z ⟂ x, |x| = |z|: the angle between x and y is exactly a.
            double a = Math.PI * (m + 0.5) / pairs;
            float[] x = RandomArrays.Gaussian(d, 100 + (ulong)m, 1);
            float[] z = RandomArrays.Gaussian(d, 100 + (ulong)m, 2);
            double xx = x.Sum(v => (double)v * v), xz = x.Zip(z, (u, v) => (double)u * v).Sum();
            for (int j = 0; j < d; j++) z[j] -= (float)(xz / xx * x[j]);
            double zz = z.Sum(v => (double)v * v), scale = Math.Sqrt(xx / zz);
            var pair = new float[2 * d];
            for (int j = 0; j < d; j++)
            {
                pair[j] = x[j];
                pair[d + j] = (float)(Math.Cos(a) * x[j] + Math.Sin(a) * scale * z[j]);
            }
            double angle = Angle(pair, d);
            var planes = Hyperplanes.Generate(PlaneFamily.Gaussian, p, d, rng.Bits((ulong)m));
            uint[] codes = new LshHasher(planes).Hash(cpu, pair, 2);
            int hamming = System.Numerics.BitOperations.PopCount(codes[0] ^ codes[2])
                + System.Numerics.BitOperations.PopCount(codes[1] ^ codes[3]);
            int bin = Math.Min(3, (int)(a / Math.PI * 4));
            sums[bin] += hamming / (double)p - angle / Math.PI;
            counts[bin]++;
        }
        for (int bin = 0; bin < 4; bin++)
        {
            // Each term has variance ≤ 1/(4P) (a mean of P Bernoulli bits), so the bin's mean error has standard
            // deviation ≤ 1/(2·√(P·count)); allow 5 of them (a false alarm has probability below 10^-6).
            double bound = 5.0 / (2 * Math.Sqrt(p * (double)counts[bin]));
            double meanError = sums[bin] / counts[bin];
            Assert.True(Math.Abs(meanError) <= bound, $"angle bin {bin}: mean(H/P − θ/π) = {meanError:F4}, bound {bound:F4}");
        }
        // And a biased estimator would fail: shifting every H/P by a fifth of the bound's scale is caught
        // somewhere only if the bound is tight enough to mean something.
        Assert.True(5.0 / (2 * Math.Sqrt(p * (pairs / 4.0))) < 0.02);
    }

    private static double Angle(float[] pair, int d)
    {
        double dot = 0, a = 0, b = 0;
        for (int j = 0; j < d; j++)
        {
            dot += (double)pair[j] * pair[d + j];
            a += (double)pair[j] * pair[j];
            b += (double)pair[d + j] * pair[d + j];
        }
        return Math.Acos(Math.Clamp(dot / Math.Sqrt(a * b), -1, 1));
    }
}
