using Lshk.Core;
using Lshk.Kernels;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Random;
using Lshk.Lsh;
using Lshk.Lsh.Families;
using Lshk.Lsh.Quantization;
using Lshk.Tests.Reference;

namespace Lshk.Tests.Lsh;

/// <summary>The "pq" family: fitting, coding unit embeddings, searching by cosine to the reconstruction.</summary>
public class ProductCodebookTests
{
    private const int Dim = 16;

    private static float[] Rows(int n, ulong seed) => RandomArrays.Gaussian(n * Dim, seed);

    [Fact]
    public void ThePqFamilyIsRegisteredAsACodebookThatIndexesStoreAsCodesNotPlanes()
    {
        var family = HashFamilies.Get("pq");
        Assert.Same(ProductQuantizerFamily.Instance, family);
        Assert.Same(family, HashFamilies.Get("product-quantizer"));
        Assert.Equal(HashFamilyKind.Codebook, family.Kind);
        Assert.True(family.Kind.StorableInIndex());
        var e = Assert.Throws<InputException>(() => HashFamilyKinds.RequireStorableInIndex(family));
        Assert.Contains("makes product-quantiser codes, not planes", e.Message);
    }

    [Theory]
    [InlineData(12, "positive multiple of 8")]
    [InlineData(24, "do not split the 16-d embedding evenly")]
    public void LengthsThatAreNotWholeSubspacesAreRejected(int bits, string message)
    {
        var e = Assert.Throws<InputException>(() => ProductQuantizerFamily.Instance.Fit(Rows(300, 1), Dim, bits, 1));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void CodesAreTheNearestCentroidsOfTheUnitRowsAndTheMeanIsTheUnitTrainingMean()
    {
        float[] training = Rows(400, 2);
        var codebook = ProductQuantizerFamily.Instance.Fit(training, Dim, 32, seed: 3);
        Assert.Equal(4, codebook.Subspaces);
        Assert.Equal(32, codebook.Bits);
        float[] unit = ProductCodebook.UnitRows(training, 400, Dim);
        for (int j = 0; j < Dim; j++)
            Assert.Equal(Enumerable.Range(0, 400).Average(r => (double)unit[r * Dim + j]), codebook.Mean[j], 5);

        float[] items = Rows(30, 7);
        using var cpu = new CpuBackend();
        uint[] codes = codebook.Encode(cpu, items, 30);
        float[] unitItems = ProductCodebook.UnitRows(items, 30, Dim);
        for (int r = 0; r < 30; r++)
        {
            double norm = Math.Sqrt(Enumerable.Range(0, Dim).Sum(j => (double)unitItems[r * Dim + j] * unitItems[r * Dim + j]));
            Assert.Equal(1.0, norm, 5);
            for (int j = 0; j < 4; j++)
                Assert.Equal(ProductCodeReference.Nearest(unitItems, r, Dim, codebook.Centroids, 4, j), ProductCodeReference.Byte(codes, r, 1, j));
        }
    }

    [Fact]
    public void CodesThroughTheSupportMeanAreOffsetsFromIt()
    {
        var codebook = ProductQuantizerFamily.Instance.Fit(Rows(400, 2), Dim, 64, seed: 3);
        float[] support = Rows(20, 8);
        for (int i = 0; i < support.Length; i++) support[i] += 2f;   // far from the training data
        using var cpu = new CpuBackend();
        float[] shift = codebook.ShiftTo(cpu, support, 20);
        float[] unit = ProductCodebook.UnitRows(support, 20, Dim);
        for (int j = 0; j < Dim; j++)
            Assert.Equal(Enumerable.Range(0, 20).Average(r => (double)unit[r * Dim + j]) - codebook.Mean[j], shift[j], 5);

        uint[] codes = codebook.Encode(cpu, support, 20, shift);
        var moved = unit.Select((v, i) => v - shift[i % Dim]).ToArray();
        for (int r = 0; r < 20; r++)
            for (int j = 0; j < 8; j++)
                Assert.Equal(ProductCodeReference.Nearest(moved, r, Dim, codebook.Centroids, 8, j), ProductCodeReference.Byte(codes, r, 2, j));
        // a support's own (scaled) embedding as the query finds that support first, by cosine to its reconstruction
        var top = codebook.Search(cpu, support.AsSpan(5 * Dim, Dim), 1, codes, 20, shift, 3);
        double[] exact = Enumerable.Range(0, 20).Select(s => ProductCodeReference.Score(unit, 5, codes, s, Dim, codebook.Centroids, 8, shift)).ToArray();
        Assert.Equal(Array.IndexOf(exact, exact.Max()), top.Indices[0]);
        Assert.Equal(exact.Max(), top.Scores[0], 5);
    }

    [Fact]
    public void MoreBitsReconstructTheTrainingRowsBetter()
    {
        // 256 centroids per subspace: more, shorter subspaces leave less quantisation error (measured in float64).
        float[] training = Rows(2000, 4);
        float[] unit = ProductCodebook.UnitRows(training, 2000, Dim);
        using var cpu = new CpuBackend();
        double Error(int bits)
        {
            var codebook = ProductQuantizerFamily.Instance.Fit(training, Dim, bits, 1);
            var codes = codebook.Encode(cpu, training, 2000);
            return Lshk.Lsh.Fitting.KMeans.MeanSquaredError(unit, 2000, Dim, codebook.Centroids, codebook.Subspaces, codes);
        }
        double e16 = Error(16), e32 = Error(32), e64 = Error(64);
        Assert.True(e16 > e32 && e32 > e64, $"{e16} {e32} {e64}");
        Assert.True(e64 < 0.5, $"{e64} of a unit row's squared length");
    }

    [Fact]
    public void OpqCodesTheRotatedUnitRowsAndScoresTheSameCosineAsInTheOriginalSpace()
    {
        Assert.Same(OptimizedProductQuantizerFamily.Instance, HashFamilies.Get("opq"));
        Assert.Equal(HashFamilyKind.Codebook, OptimizedProductQuantizerFamily.Instance.Kind);
        float[] training = Rows(500, 12);
        var codebook = OptimizedProductQuantizerFamily.Instance.Fit(training, Dim, 32, seed: 2);
        float[] rotation = codebook.Rotation!;
        float[] items = Rows(25, 13);
        float[] unit = ProductCodebook.UnitRows(items, 25, Dim);
        // rotated rows by hand, in float64
        var rotated = new float[25 * Dim];
        for (int r = 0; r < 25; r++)
            for (int i = 0; i < Dim; i++)
                rotated[r * Dim + i] = (float)Enumerable.Range(0, Dim).Sum(j => (double)rotation[i * Dim + j] * unit[r * Dim + j]);
        using var cpu = new CpuBackend();
        float[] prepared = codebook.Prepare(cpu, items, 25);
        for (int i = 0; i < prepared.Length; i++) Assert.Equal(rotated[i], prepared[i], 5);
        uint[] codes = codebook.Encode(cpu, items, 25);
        for (int r = 0; r < 25; r++)
            for (int j = 0; j < 4; j++)
                Assert.Equal(ProductCodeReference.Nearest(prepared, r, Dim, codebook.Centroids, 4, j), ProductCodeReference.Byte(codes, r, 1, j));
        // the score is the cosine between the unrotated query and the support's reconstruction rotated back (Rᵀ·r)
        var top = codebook.Search(cpu, items.AsSpan(0, Dim), 1, codes, 25, null, 25);
        for (int rank = 0; rank < 25; rank++)
        {
            int s = top.Indices[rank];
            double[] r = ProductCodeReference.Reconstruction(codes, s, Dim, codebook.Centroids, 4, []);
            var back = new double[Dim];
            for (int j = 0; j < Dim; j++)
                for (int i = 0; i < Dim; i++) back[j] += rotation[i * Dim + j] * r[i];
            double dot = 0, norm = 0;
            for (int j = 0; j < Dim; j++) { dot += unit[j] * back[j]; norm += back[j] * back[j]; }
            Assert.Equal(dot / Math.Sqrt(norm), top.Scores[rank], 4);
        }
    }
}
