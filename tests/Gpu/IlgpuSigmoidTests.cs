using Lshk.Kernels;
using Lshk.Tests.Reference;

namespace Lshk.Tests.Gpu;

[Trait(TestGpu.Trait, TestGpu.Kernels)]
[Collection(SimulatorCollection.Name)]
public class IlgpuSigmoidTests(SimulatorFixture fx)
{
    [Theory]
    [InlineData(45, 33, 1f, 5)]
    [InlineData(45, 100, 4f, 1)]
    [InlineData(3, 32, 2f, 6)]  // fewer supports than k
    [InlineData(0, 8, 1f, 2)]   // no supports
    public void TopKMatchesCpuAndReference(int n, int p, float sharpness, int k)
    {
        var rng = new Random(n + p + k);
        const int q = 4;
        float[] queries = GpuTestData.Floats(rng, q * p, 2f);
        float[] supports = GpuTestData.Floats(rng, n * p, 2f);
        TopK<float> gpu = fx.Gpu.SigmoidTopK(queries, q, supports, n, p, sharpness, k);
        TopK<float> cpu = fx.Cpu.SigmoidTopK(queries, q, supports, n, p, sharpness, k);
        for (int r = 0; r < q; r++)
        {
            double[] exact = Enumerable.Range(0, n)
                .Select(s => ScalarReference.SigmoidScore(queries, r, supports, s, p, sharpness)).ToArray();
            GpuTestData.AssertFloatTopK(exact, gpu.IndexRow(r), gpu.ScoreRow(r), k, $"query {r} vs reference");
            for (int j = 0; j < k; j++)
            {
                if (cpu.IndexRow(r)[j] < 0) Assert.Equal(-1, gpu.IndexRow(r)[j]);
                else GpuTestData.AssertClose(cpu.ScoreRow(r)[j], gpu.ScoreRow(r)[j], $"query {r} rank {j} vs CPU");
            }
        }
    }

    [Fact]
    public void EqualSupportsTieToTheLowerIndex()
    {
        float[] support = GpuTestData.Floats(new Random(9), 16);
        float[] supports = [.. support, .. support, .. support];
        var top = fx.Gpu.SigmoidTopK(support, 1, supports, 3, 16, 1.5f, 3);
        Assert.Equal([0, 1, 2], top.Indices);
        Assert.Equal(top.Scores[0], top.Scores[2]);
    }
}
