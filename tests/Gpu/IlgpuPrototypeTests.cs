using Lshk.Tests.Reference;

namespace Lshk.Tests.Gpu;

[Trait(TestGpu.Trait, TestGpu.Kernels)]
[Collection(SimulatorCollection.Name)]
public class IlgpuPrototypeTests(SimulatorFixture fx)
{
    /// <summary>Labels over 6 classes where class 4 is empty and class 5 has two members (ties: 1 of 2 → bit 1).</summary>
    private static int[] Labels(Random rng, int n)
    {
        var labels = Enumerable.Range(0, n).Select(_ => rng.Next(4)).ToArray();
        labels[3] = 5;
        labels[n - 1] = 5;
        return labels;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(33)]
    [InlineData(100)]
    public void MajorityCodesMatchCpuAndReference(int bits)
    {
        var rng = new Random(bits);
        const int n = 29, classes = 6;
        uint[] codes = GpuTestData.Codes(rng, n, bits);
        int[] labels = Labels(rng, n);
        int words = (bits + 31) / 32;
        var gpu = new uint[classes * words];
        var cpu = new uint[classes * words];
        fx.Gpu.MajorityCodes(codes, n, bits, labels, classes, gpu);
        fx.Cpu.MajorityCodes(codes, n, bits, labels, classes, cpu);
        Assert.Equal(ScalarReference.MajorityCodes(codes, n, bits, labels, classes), gpu);
        Assert.Equal(cpu, gpu);
        Assert.All(gpu.AsSpan(4 * words, words).ToArray(), w => Assert.Equal(0u, w)); // empty class
    }

    [Fact]
    public void MajorityVoteTiesGiveOne()
    {
        uint[] codes = [0b01u, 0b10u];
        var result = new uint[1];
        fx.Gpu.MajorityCodes(codes, 2, 2, [0, 0], 1, result);
        Assert.Equal(0b11u, result[0]);
    }

    [Fact]
    public void ClassMeansMatchCpuAndReference()
    {
        var rng = new Random(5);
        const int n = 31, d = 13, classes = 6;
        float[] x = GpuTestData.Floats(rng, n * d, 10f);
        int[] labels = Labels(rng, n);
        var gpu = new float[classes * d];
        var cpu = new float[classes * d];
        fx.Gpu.ClassMeans(x, n, d, labels, classes, gpu);
        fx.Cpu.ClassMeans(x, n, d, labels, classes, cpu);
        Assert.Equal(cpu, gpu); // same additions in the same order, then one division: identical floats
        double[] exact = ScalarReference.ClassMeans(x, n, d, labels, classes);
        for (int i = 0; i < exact.Length; i++) GpuTestData.AssertClose(exact[i], gpu[i], $"mean element {i}");
        Assert.All(gpu.AsSpan(4 * d, d).ToArray(), v => Assert.Equal(0f, v)); // empty class
    }
}
