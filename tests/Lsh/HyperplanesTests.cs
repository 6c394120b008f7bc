using Lshk.Kernels;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Random;
using Lshk.Lsh;

namespace Lshk.Tests.Lsh;

public class HyperplanesTests
{
    [Theory]
    [InlineData("gaussian")]
    [InlineData("uniform")]
    [InlineData("integer")]
    public void SameSeedSamePlanesOtherSeedOtherPlanes(string name)
    {
        var family = HashFamilies.Get(name);
        var a = Hyperplanes.Generate(family, 100, 64, 42, offsets: true, range: 3);
        var b = Hyperplanes.Generate(family, 100, 64, 42, offsets: true, range: 3);
        var c = Hyperplanes.Generate(family, 100, 64, 43, offsets: true, range: 3);
        Assert.Equal(a.Normals, b.Normals);
        Assert.Equal(a.Offsets, b.Offsets);
        Assert.NotEqual(a.Normals, c.Normals);
    }

    [Fact]
    public void FamiliesHaveTheirDistributions()
    {
        var gaussian = Hyperplanes.Generate(PlaneFamily.Gaussian, 200, 100, 1).Normals;
        double mean = gaussian.Average(v => (double)v), variance = gaussian.Average(v => (v - mean) * (v - mean));
        // 20,000 draws: the mean's standard error is 0.007, the variance's about 0.01.
        Assert.InRange(mean, -0.035, 0.035);
        Assert.InRange(variance, 0.95, 1.05);

        var uniform = Hyperplanes.Generate(PlaneFamily.Uniform, 200, 100, 1).Normals;
        Assert.All(uniform, v => Assert.InRange(v, -1f, 1f));
        Assert.InRange(uniform.Average(v => (double)v * v), 1 / 3.0 - 0.02, 1 / 3.0 + 0.02);

        var integer = Hyperplanes.Generate(PlaneFamily.Integer, 200, 100, 1, range: 3).Normals;
        Assert.All(integer, v => Assert.Equal(Math.Round(v), v));
        Assert.Equal(Enumerable.Range(-3, 6).Select(i => (float)i), integer.Distinct().Order());
    }

    [Fact]
    public void CenteringHashesLikeSubtractingTheMean()
    {
        int n = 200, d = 16, p = 64;
        float[] x = RandomArrays.Gaussian(n * d, 8);
        for (int i = 0; i < x.Length; i++) x[i] = Math.Abs(x[i]) + 0.5f;  // ReLU-like: all positive
        var planes = Hyperplanes.Generate(PlaneFamily.Gaussian, p, d, 5);
        var centered = LshHasher.CenteredOn(planes, x, n);
        var shifted = new float[x.Length];
        for (int r = 0; r < n; r++)
            for (int j = 0; j < d; j++) shifted[r * d + j] = x[r * d + j] - centered.Center![j];
        using var cpu = new CpuBackend();
        uint[] a = centered.Hash(cpu, x, n);
        uint[] b = new LshHasher(planes).Hash(cpu, shifted, n);
        float[] proj = new LshHasher(planes).Project(cpu, shifted, n);
        int differing = 0;
        for (int r = 0; r < n; r++)
            for (int i = 0; i < p; i++)
            {
                bool bitA = (a[r * 2 + i / 32] >> (i % 32) & 1) != 0, bitB = (b[r * 2 + i / 32] >> (i % 32) & 1) != 0;
                if (bitA != bitB)
                {
                    differing++;
                    Assert.True(Math.Abs(proj[r * p + i]) < 1e-4, $"bit {i} of row {r} differs with projection {proj[r * p + i]}");
                }
            }
        Assert.True(differing <= 2);
        // Centring matters for positive data: without it most bits are equal across items.
        uint[] raw = new LshHasher(planes).Hash(cpu, x, n);
        Assert.True(BalanceOf(a, p) > BalanceOf(raw, p));
    }

    /// <summary>Mean over bits of min(fraction of ones, fraction of zeros): 0.5 is perfectly balanced.</summary>
    private static double BalanceOf(uint[] codes, int p)
    {
        int words = Check.Words(p), n = codes.Length / words;
        double total = 0;
        for (int i = 0; i < p; i++)
        {
            int ones = 0;
            for (int r = 0; r < n; r++) ones += (int)(codes[r * words + i / 32] >> (i % 32) & 1);
            total += Math.Min(ones, n - ones) / (double)n;
        }
        return total / p;
    }

    [Fact]
    public void HasherRejectsNonFiniteAndWrongDimensions()
    {
        var planes = Hyperplanes.Generate(PlaneFamily.Gaussian, 8, 3, 1);
        var hasher = new LshHasher(planes);
        using var cpu = new CpuBackend();
        var nan = Assert.Throws<ArgumentException>(() => hasher.Hash(cpu, [1, 2, float.NaN, 4, 5, 6], 2));
        Assert.Contains("row 0", nan.Message);
        Assert.Throws<ArgumentException>(() => hasher.Hash(cpu, [1, 2, 3, 4, float.PositiveInfinity, 6], 2));
        var dims = Assert.Throws<ArgumentException>(() => hasher.Hash(cpu, [1, 2, 3, 4], 2));
        Assert.Contains("expect 3", dims.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Hyperplanes.Generate(PlaneFamily.Gaussian, 0, 3, 1));
    }
}
