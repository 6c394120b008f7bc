using Lshk.Kernels;
using Lshk.Tests.Reference;

namespace Lshk.Tests.Gpu;

/// <summary>
/// Product-quantiser encoding and asymmetric search: the GPU kernels against the CPU form (the same codes, the same
/// floats) and both against the float64 reference.
/// </summary>
[Trait(TestGpu.Trait, TestGpu.Kernels)]
[Collection(SimulatorCollection.Name)]
public class IlgpuProductCodeTests(SimulatorFixture fx)
{
    private const int K = ProductCodes.Centroids;

    [Theory]
    [InlineData(37, 16, 4)]   // one full code word
    [InlineData(20, 12, 3)]   // a word with three bytes
    [InlineData(9, 40, 5)]    // a second, partial word
    [InlineData(0, 8, 2)]     // no items
    public void CodesAreTheNearestCentroidsOnBothBackends(int n, int d, int subspaces)
    {
        var rng = new Random(n * 7 + d);
        float[] x = GpuTestData.Floats(rng, n * d);
        float[] centroids = GpuTestData.Floats(rng, K * d);
        int words = ProductCodes.Words(subspaces);
        var gpu = new uint[n * words];
        var cpu = new uint[n * words];
        fx.Gpu.QuantizeProducts(x, n, d, centroids, subspaces, gpu);
        fx.Cpu.QuantizeProducts(x, n, d, centroids, subspaces, cpu);
        Assert.Equal(cpu, gpu);
        for (int r = 0; r < n; r++)
            for (int j = 0; j < subspaces; j++)
            {
                int got = ProductCodeReference.Byte(cpu, r, words, j);
                int expected = ProductCodeReference.Nearest(x, r, d, centroids, subspaces, j);
                // a different centroid is allowed only where float rounding cannot separate the two distances
                double gotDistance = ProductCodeReference.Distance(x, r, d, centroids, subspaces, j, got);
                double bestDistance = ProductCodeReference.Distance(x, r, d, centroids, subspaces, j, expected);
                if (got != expected) Assert.True(gotDistance - bestDistance <= 1e-5 * Math.Max(1, bestDistance), $"item {r} subspace {j}: {got} vs {expected}");
            }
        for (int r = 0; r < n; r++)
            if (subspaces % 4 != 0) Assert.Equal(0u, cpu[r * words + words - 1] >> (8 * (subspaces % 4)));
    }

    [Fact]
    public void AnItemOnACentroidGetsThatCentroid()
    {
        const int d = 8, subspaces = 2, run = d / subspaces;
        var rng = new Random(5);
        float[] centroids = GpuTestData.Floats(rng, K * d);
        // item r takes centroid (r·37) mod 256 in subspace 0 and (r·11 + 3) mod 256 in subspace 1
        const int n = 50;
        var x = new float[n * d];
        for (int r = 0; r < n; r++)
        {
            Array.Copy(centroids, (0 * K + r * 37 % K) * run, x, r * d, run);
            Array.Copy(centroids, (1 * K + (r * 11 + 3) % K) * run, x, r * d + run, run);
        }
        var codes = new uint[n];
        fx.Gpu.QuantizeProducts(x, n, d, centroids, subspaces, codes);
        for (int r = 0; r < n; r++)
            Assert.Equal((uint)(r * 37 % K) | ((uint)((r * 11 + 3) % K) << 8), codes[r]);
    }

    [Theory]
    [InlineData(45, 16, 4, 5, false)]
    [InlineData(45, 16, 4, 5, true)]
    [InlineData(70, 24, 8, 1, true)]
    [InlineData(3, 12, 3, 6, false)]   // fewer supports than k
    [InlineData(0, 8, 2, 2, false)]    // no supports
    public void TopKMatchesCpuAndReference(int n, int d, int subspaces, int k, bool shifted)
    {
        var rng = new Random(n + d + k);
        const int q = 5;
        float[] queries = GpuTestData.Floats(rng, q * d);
        float[] centroids = GpuTestData.Floats(rng, K * d);
        float[] shift = shifted ? GpuTestData.Floats(rng, d, 0.3f) : [];
        int words = ProductCodes.Words(subspaces);
        var codes = new uint[n * words];
        fx.Cpu.QuantizeProducts(GpuTestData.Floats(rng, n * d), n, d, centroids, subspaces, codes);
        var gpu = fx.Gpu.ProductCodeTopK(queries, q, codes, n, d, centroids, subspaces, shift, k);
        var cpu = fx.Cpu.ProductCodeTopK(queries, q, codes, n, d, centroids, subspaces, shift, k);
        Assert.Equal(cpu.Indices, gpu.Indices);
        Assert.Equal(cpu.Scores, gpu.Scores);   // the same floats, bit for bit
        for (int r = 0; r < q; r++)
        {
            double[] exact = Enumerable.Range(0, n)
                .Select(s => ProductCodeReference.Score(queries, r, codes, s, d, centroids, subspaces, shift)).ToArray();
            GpuTestData.AssertFloatTopK(exact, cpu.IndexRow(r), cpu.ScoreRow(r), k, $"query {r} vs reference");
        }
    }

    [Fact]
    public void EqualCodesTieToTheLowerIndexAndAZeroReconstructionScoresZero()
    {
        const int d = 8, subspaces = 2;
        var centroids = new float[K * d];            // centroid 0 of each subspace is the origin
        float[] rest = GpuTestData.Floats(new Random(3), (K - 1) * 4);
        for (int j = 0; j < subspaces; j++) Array.Copy(rest, 0, centroids, (j * K + 1) * 4, rest.Length);
        uint[] codes = [0x0101u, 0x0000u, 0x0101u];  // support 1 reconstructs to zero
        float[] query = GpuTestData.Floats(new Random(4), d);
        foreach (var backend in new IComputeBackend[] { fx.Gpu, fx.Cpu })
        {
            var top = backend.ProductCodeTopK(query, 1, codes, 3, d, centroids, subspaces, [], 3);
            double score = ProductCodeReference.Score(query, 0, codes, 0, d, centroids, subspaces, []);
            int[] expected = score > 0 ? [0, 2, 1] : [1, 0, 2];
            Assert.Equal(expected, top.Indices);
            Assert.Contains(0f, top.Scores);
        }
    }

    [Fact]
    public void ManyEqualCodesTieToTheLowerIndexAcrossTheCpuScansBatches()
    {
        // 67 supports drawn from 4 codes: the CPU scores eight at a time with a scalar tail, and ties must still go
        // to the lower index, as the GPU's packed keys order them.
        const int n = 67, d = 16, subspaces = 4, k = 20;
        var rng = new Random(12);
        float[] centroids = GpuTestData.Floats(rng, K * d);
        uint[] patterns = [.. Enumerable.Range(0, 4).Select(_ => (uint)rng.NextInt64(0, 1L << 32))];
        uint[] codes = [.. Enumerable.Range(0, n).Select(_ => patterns[rng.Next(4)])];
        float[] queries = GpuTestData.Floats(rng, 3 * d);
        var gpu = fx.Gpu.ProductCodeTopK(queries, 3, codes, n, d, centroids, subspaces, [], k);
        var cpu = fx.Cpu.ProductCodeTopK(queries, 3, codes, n, d, centroids, subspaces, [], k);
        Assert.Equal(gpu.Indices, cpu.Indices);
        Assert.Equal(gpu.Scores, cpu.Scores);
        for (int r = 0; r < 3; r++)
            for (int j = 1; j < k; j++)
                if (cpu.ScoreRow(r)[j] == cpu.ScoreRow(r)[j - 1]) Assert.True(cpu.IndexRow(r)[j] > cpu.IndexRow(r)[j - 1]);
    }

    [Fact]
    public void ShapesThatDoNotSplitAreRejectedAlike()
    {
        foreach (var backend in new IComputeBackend[] { fx.Gpu, fx.Cpu })
        {
            var e = Assert.Throws<ArgumentException>(() =>
                backend.QuantizeProducts(new float[10], 1, 10, new float[K * 10], 3, new uint[1]));
            Assert.Contains("do not split into 3 equal subspaces", e.Message);
        }
    }
}
