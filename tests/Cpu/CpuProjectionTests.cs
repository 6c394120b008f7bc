using Lshk.Kernels;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Random;
using Lshk.Tests.Reference;

namespace Lshk.Tests.Cpu;

public class CpuProjectionTests
{
    [Theory]
    [InlineData(1, 5, 3)]
    [InlineData(31, 20, 64)]
    [InlineData(32, 20, 64)]
    [InlineData(33, 20, 64)]
    [InlineData(100, 9, 17)]
    [InlineData(256, 50, 64)]
    [InlineData(1000, 6, 33)]
    public void CodesAndProjectionsMatchScalarReferenceExactly(int p, int n, int d)
    {
        float[] x = RandomArrays.Gaussian((long)n * d, 3, 1);
        float[] planes = RandomArrays.Gaussian((long)p * d, 3, 2);
        float[] offsets = RandomArrays.Gaussian(p, 3, 3);
        using var cpu = new CpuBackend();
        var codes = new uint[n * Check.Words(p)];
        cpu.ProjectPack(x, n, d, planes, offsets, p, codes);
        Assert.Equal(ScalarReference.ProjectPack(x, n, d, planes, offsets, p), codes);
        var projections = new float[n * p];
        cpu.Project(x, n, d, planes, offsets, p, projections);
        Assert.Equal(ScalarReference.Project(x, n, d, planes, offsets, p), projections);
        // And the sign bits agree with a double-precision dot product wherever the sign is clear.
        for (int r = 0; r < n; r++)
            for (int i = 0; i < p; i++)
            {
                double dot = offsets[i];
                for (int j = 0; j < d; j++) dot += (double)x[r * d + j] * planes[i * d + j];
                if (Math.Abs(dot) < 1e-4) continue;
                bool bit = (codes[r * Check.Words(p) + i / 32] >> (i % 32) & 1) != 0;
                Assert.Equal(dot >= 0, bit);
            }
    }

    [Fact]
    public void UnusedHighBitsAreZero()
    {
        int n = 64, d = 4, p = 37;
        float[] x = new float[n * d];
        x.AsSpan().Fill(1f);
        float[] planes = new float[p * d];
        planes.AsSpan().Fill(1f);  // every projection positive: every used bit is 1
        var codes = new uint[n * 2];
        new CpuBackend().ProjectPack(x, n, d, planes, default, p, codes);
        for (int r = 0; r < n; r++)
        {
            Assert.Equal(uint.MaxValue, codes[r * 2]);
            Assert.Equal(0x1Fu, codes[r * 2 + 1]);
        }
    }

    [Fact]
    public void ZeroProjectionGivesOne()
    {
        var codes = new uint[1];
        new CpuBackend().ProjectPack(new float[] { 0f, 0f }, 1, 2, new float[] { 1f, -1f, -1f, 1f }, new float[] { 0f, -1e-30f }, 2, codes);
        Assert.Equal(1u, codes[0]);
    }

    [Fact]
    public void RejectsBadShapes()
    {
        var cpu = new CpuBackend();
        Assert.Throws<ArgumentOutOfRangeException>(() => cpu.ProjectPack(new float[4], 2, 2, new float[0], default, 0, new uint[0]));
        Assert.Throws<ArgumentException>(() => cpu.ProjectPack(new float[5], 2, 2, new float[2], default, 1, new uint[2]));
        Assert.Throws<ArgumentException>(() => cpu.ProjectPack(new float[4], 2, 2, new float[2], new float[3], 1, new uint[2]));
    }
}
