using Lshk.Tests.Reference;

namespace Lshk.Tests.Gpu;

[Trait(TestGpu.Trait, TestGpu.Kernels)]
[Collection(SimulatorCollection.Name)]
public class IlgpuProjectionTests(SimulatorFixture fx)
{
    public static TheoryData<int> PlaneCounts => [1, 31, 32, 33, 100, 256, 1000];

    private static (float[] x, float[] planes, float[] offsets) Inputs(int seed, int n, int d, int p)
    {
        var rng = new Random(seed);
        float[] x = GpuTestData.Floats(rng, n * d);
        Array.Clear(x, 0, d); // a zero row: its projections are exactly the offsets (0 → bit 1)
        return (x, GpuTestData.Floats(rng, p * d), GpuTestData.Floats(rng, p, 0.1f));
    }

    [Theory]
    [MemberData(nameof(PlaneCounts))]
    public void ProjectPackIsBitIdenticalToCpuAndReference(int p)
    {
        const int n = 23, d = 19;
        var (x, planes, offsets) = Inputs(100 + p, n, d, p);
        int words = (p + 31) / 32;
        foreach (float[]? offs in new[] { null, offsets })
        {
            var gpu = new uint[n * words];
            var cpu = new uint[n * words];
            fx.Gpu.ProjectPack(x, n, d, planes, offs, p, gpu);
            fx.Cpu.ProjectPack(x, n, d, planes, offs, p, cpu);
            Assert.Equal(ScalarReference.ProjectPack(x, n, d, planes, offs, p), gpu);
            Assert.Equal(cpu, gpu);
            if (p % 32 != 0)
                for (int r = 0; r < n; r++)
                    Assert.Equal(0u, gpu[r * words + words - 1] >> (p % 32)); // unused high bits are 0
        }
    }

    [Theory]
    [MemberData(nameof(PlaneCounts))]
    public void ProjectIsBitIdenticalToCpuAndReference(int p)
    {
        const int n = 11, d = 37;
        var (x, planes, offsets) = Inputs(200 + p, n, d, p);
        var gpu = new float[n * p];
        var cpu = new float[n * p];
        fx.Gpu.Project(x, n, d, planes, offsets, p, gpu);
        fx.Cpu.Project(x, n, d, planes, offsets, p, cpu);
        int[] Bits(float[] v) => v.Select(BitConverter.SingleToInt32Bits).ToArray();
        Assert.Equal(Bits(ScalarReference.Project(x, n, d, planes, offsets, p)), Bits(gpu));
        Assert.Equal(Bits(cpu), Bits(gpu));
    }

    [Fact]
    public void ProjectionsWhereFusedMultiplyAddWouldDifferStayUnfused()
    {
        // a·b rounds up to the float f, so with offset −f the separately rounded projection is exactly 0 (bit 1),
        // while a fused multiply-add would keep the tiny negative remainder (bit 0).
        float a = 1f + MathF.Pow(2, -12), b = 1f - MathF.Pow(2, -23);
        float f = a * b;
        Assert.True((double)a * b < f); // the premise: the exact product lies below its rounding
        float[] x = [a], planes = [b], offsets = [-f];
        var proj = new float[1];
        var code = new uint[1];
        fx.Gpu.Project(x, 1, 1, planes, offsets, 1, proj);
        fx.Gpu.ProjectPack(x, 1, 1, planes, offsets, 1, code);
        Assert.Equal(0f, proj[0]);
        Assert.Equal(1u, code[0]);
        Assert.Equal(ScalarReference.ProjectPack(x, 1, 1, planes, offsets, 1), code);
    }

    [Fact]
    public void NoItemsWritesNothing()
    {
        float[] planes = GpuTestData.Floats(new Random(3), 33 * 4);
        fx.Gpu.ProjectPack([], 0, 4, planes, default, 33, Span<uint>.Empty);
        fx.Gpu.Project([], 0, 4, planes, default, 33, Span<float>.Empty);
    }
}
