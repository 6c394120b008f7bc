using Lshk.Kernels.Random;
using Lshk.Lsh.Fitting;

namespace Lshk.Tests.Lsh.Fitting;

/// <summary>
/// ITQ with more bits than dimensions (P &gt; D): ITQ's D planes, then blocks of D random orthonormal planes. The
/// measurement compares it with plain Gaussian planes and with the rejected alternative (a Gaussian P×D
/// projection rotated by ITQ), all through the training mean, on 20-way 1-shot Hamming nearest neighbour.
/// </summary>
public class OverCompleteItqTests(ITestOutputHelper log)
{
    private const int Dim = 16, Bits = 64;

    [Fact]
    public void FirstDPlanesAreItqAndTheRestAreOrthonormalBlocks()
    {
        var (train, trainRows) = TrainingSet();
        var itq = Itq.Fit(train, trainRows, Dim, Bits, seed: 5);
        var square = Itq.Fit(train, trainRows, Dim, Dim, seed: 5);
        Assert.True(itq.OverComplete);
        Assert.False(square.OverComplete);
        Assert.Equal(Bits, itq.Count);
        var planes = itq.ToPlanes();
        Assert.Equal(Bits * Dim, planes.Normals.Length);
        Assert.Equal(square.ToPlanes().Normals, planes.Normals.AsSpan(0, Dim * Dim).ToArray());
        Assert.Equal(itq.QuantizationErrors, square.QuantizationErrors);
        ItqTests.AssertOrthogonal(itq.Rotation, 1e-10);
        for (int block = 1; block < Bits / Dim; block++)
            for (int a = 0; a < Dim; a++)
                for (int b = 0; b < Dim; b++)
                {
                    double dot = 0;
                    for (int j = 0; j < Dim; j++) dot += (double)planes.Normals[(block * Dim + a) * Dim + j] * planes.Normals[(block * Dim + b) * Dim + j];
                    Assert.Equal(a == b ? 1.0 : 0.0, dot, 5);
                }
        Assert.Equal(new float[Bits], planes.CenteredOffsets);
    }

    [Fact]
    public void BeatsTheRotatedGaussianProjectionAndMatchesGaussianPlanesOnHeldOutClasses()
    {
        // Fit on "training classes", score 20-way 1-shot Hamming nearest neighbour on other classes drawn the same way.
        var (train, trainRows) = TrainingSet();
        var fitted = Itq.Fit(train, trainRows, Dim, Bits, seed: 5);
        var mean = fitted.Mean;
        var gaussian = RandomMatrices.Gaussian(Bits, Dim, 5, 99);
        var v = EmbeddingMatrix.Centered(train, trainRows, Dim, mean).TransposeAndMultiply(gaussian);
        var (rotation, errors) = Itq.Rotate(v, RandomMatrices.Orthogonal(Bits, 5, 98), Itq.DefaultIterations);
        double fittedAccuracy = OneShotAccuracy(fitted.ToPlanes());
        double gaussianAccuracy = OneShotAccuracy(PlanesThrough(gaussian, mean));
        double rotatedAccuracy = OneShotAccuracy(PlanesThrough(rotation.TransposeThisAndMultiply(gaussian), mean));
        double floatAccuracy = OneShotAccuracy(null);
        log.WriteLine($"20-way 1-shot Hamming NN, D = {Dim}, P = {Bits}, {Episodes} episodes × {Ways * Queries} queries:");
        log.WriteLine($"  ITQ + orthonormal blocks {fittedAccuracy:P1}, Gaussian planes {gaussianAccuracy:P1}, " +
            $"Gaussian projection + ITQ rotation {rotatedAccuracy:P1} (its error {errors[0]:F1} → {errors[^1]:F1}), float Euclidean {floatAccuracy:P1}");
        // 10,000 queries: a standard error of about 0.35 points per method.
        Assert.True(fittedAccuracy >= gaussianAccuracy - 0.01, $"{fittedAccuracy:P1} vs Gaussian {gaussianAccuracy:P1}");
        Assert.True(rotatedAccuracy < gaussianAccuracy - 0.03, $"rotated projection {rotatedAccuracy:P1} vs Gaussian {gaussianAccuracy:P1}");
        Assert.True(errors[^1] < errors[0]);
    }

    private static PlaneSet PlanesThrough(MathNet.Numerics.LinearAlgebra.Matrix<double> rows, double[] center)
    {
        var normals = new float[rows.RowCount * Dim];
        for (int i = 0; i < rows.RowCount; i++) for (int j = 0; j < Dim; j++) normals[i * Dim + j] = (float)rows[i, j];
        return new PlaneSet(rows.RowCount, Dim, normals, new float[rows.RowCount], center.Select(c => (float)c).ToArray());
    }

    private static (float[] X, int Rows) TrainingSet() => Embeddings(classes: 200, perClass: 10, seed: 100);

    /// <summary>
    /// Class centres from an anisotropic Gaussian (standard deviations 1/√(1+k) along a random basis, as learned
    /// embeddings concentrate variance in a few directions) plus within-class noise, shifted away from the origin.
    /// </summary>
    private static (float[] X, int Rows) Embeddings(int classes, int perClass, ulong seed)
    {
        var basis = FittingData.RandomRotation(Dim, 55);
        var centres = RandomArrays.Gaussian((long)classes * Dim, seed, 1);
        var noise = RandomArrays.Gaussian((long)classes * perClass * Dim, seed, 2);
        var x = new float[classes * perClass * Dim];
        for (int c = 0; c < classes; c++)
            for (int s = 0; s < perClass; s++)
            {
                int r = c * perClass + s;
                for (int j = 0; j < Dim; j++)
                {
                    double v = 1.0;
                    for (int k = 0; k < Dim; k++) v += basis[j, k] * (centres[c * Dim + k] + WithinClass * noise[r * Dim + k]) / Math.Sqrt(1 + k);
                    x[r * Dim + j] = (float)v;
                }
            }
        return (x, classes * perClass);
    }

    private const double WithinClass = 0.45;
    private const int Episodes = 100, Ways = 20, Queries = 5;

    /// <summary>Nearest-support accuracy over seeded episodes of held-out classes; Hamming with planes, Euclidean without.</summary>
    private static double OneShotAccuracy(PlaneSet? planes)
    {
        int right = 0, total = 0;
        for (int e = 0; e < Episodes; e++)
        {
            var (x, _) = Embeddings(Ways, 1 + Queries, 1000 + (ulong)e);
            var codes = planes is null ? null : Enumerable.Range(0, x.Length / Dim).Select(r => Code(planes, x.AsSpan(r * Dim, Dim))).ToArray();
            for (int c = 0; c < Ways; c++)
                for (int q = 1; q <= Queries; q++, total++)
                {
                    int query = c * (1 + Queries) + q;
                    int best = -1;
                    double bestDistance = double.MaxValue;
                    for (int s = 0; s < Ways; s++)
                    {
                        int support = s * (1 + Queries);
                        double distance = codes is null ? Euclidean(x, query, support) : Hamming(codes[query], codes[support]);
                        if (distance < bestDistance) { bestDistance = distance; best = s; }
                    }
                    if (best == c) right++;
                }
        }
        return right / (double)total;
    }

    // P ≤ 64 bits in one word.
    private static ulong Code(PlaneSet planes, ReadOnlySpan<float> x)
    {
        ulong bits = 0;
        for (int k = 0; k < planes.Count; k++) if (planes.Bit(x, k)) bits |= 1UL << k;
        return bits;
    }

    private static int Hamming(ulong a, ulong b) => System.Numerics.BitOperations.PopCount(a ^ b);

    private static double Euclidean(float[] x, int a, int b)
    {
        double s = 0;
        for (int j = 0; j < Dim; j++) { double t = x[a * Dim + j] - x[b * Dim + j]; s += t * t; }
        return s;
    }
}
