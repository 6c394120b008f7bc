using Lshk.Kernels;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Random;
using Lshk.Tests.Reference;

namespace Lshk.Tests.Cpu;

public class CpuPrototypeTests
{
    [Theory]
    [InlineData(40, 1, 3)]
    [InlineData(60, 33, 5)]
    [InlineData(90, 256, 7)]
    [InlineData(10, 64, 12)]   // more classes than members: some classes are empty
    public void MajorityCodesMatchReference(int n, int bits, int classes)
    {
        uint[] codes = RandomArrays.Codes(n, bits, 5);
        int[] labels = Enumerable.Range(0, n).Select(i => (int)(new Lshk.Kernels.Random.CounterRng(5, 9).Bits((ulong)i) % (ulong)classes)).ToArray();
        var got = new uint[classes * Check.Words(bits)];
        new CpuBackend().MajorityCodes(codes, n, bits, labels, classes, got);
        Assert.Equal(ScalarReference.MajorityCodes(codes, n, bits, labels, classes), got);
    }

    [Fact]
    public void MajorityTieGivesOne()
    {
        // Two members disagree on every bit: a tie, which gives 1.
        uint[] codes = [0b1010u, 0b0101u];
        var got = new uint[1];
        new CpuBackend().MajorityCodes(codes, 2, 4, [0, 0], 1, got);
        Assert.Equal(0b1111u, got[0]);
    }

    [Fact]
    public void ClassMeansMatchReference()
    {
        int n = 50, d = 9, classes = 6;
        float[] x = RandomArrays.Gaussian(n * d, 4);
        int[] labels = Enumerable.Range(0, n).Select(i => i * 7 % 5).ToArray(); // class 5 empty
        var got = new float[classes * d];
        new CpuBackend().ClassMeans(x, n, d, labels, classes, got);
        double[] expected = ScalarReference.ClassMeans(x, n, d, labels, classes);
        for (int i = 0; i < got.Length; i++) Assert.Equal(expected[i], got[i], 1e-5);
    }

    [Fact]
    public void RejectsLabelsOutOfRange()
    {
        Assert.Throws<ArgumentException>(() => new CpuBackend().ClassMeans(new float[2], 2, 1, [0, 2], 2, new float[2]));
    }
}
