using Lshk.Kernels.Random;
using Lshk.Lsh.Fitting;

namespace Lshk.Tests.Lsh.Fitting;

/// <summary>
/// ITQ with more bits than dimensions (P &gt; D): a seeded Gaussian P×D projection, then ITQ's rotation. With no
/// iterations the planes are the projection under a random rotation, i.e. plain Gaussian planes (SimHash), so
/// iterations = 0 is the controlled baseline: the same seed, the same centre, only the fitted rotation differs.
/// </summary>
public class OverCompleteItqTests(ITestOutputHelper log)
{
    private const int Dim = 16, Bits = 64;

    [Fact]
    public void OverCompleteFitHasPPlanesAnOrthogonalRotationAndAFallingError()
    {
        var (train, trainRows) = TrainingSet();
        var itq = Itq.Fit(train, trainRows, Dim, Bits, seed: 5);
        Assert.True(itq.OverComplete);
        Assert.Equal(Bits, itq.Count);
        Assert.Equal(Dim, itq.Dim);
        var planes = itq.ToPlanes();
        Assert.Equal(Bits, planes.Count);
        Assert.Equal(Bits * Dim, planes.Normals.Length);
        ItqTests.AssertOrthogonal(itq.Rotation, 1e-10);
        for (int t = 1; t < itq.QuantizationErrors.Length; t++)
            Assert.True(itq.QuantizationErrors[t] <= itq.QuantizationErrors[t - 1] * (1 + 1e-12));
    }

    [Fact]
    public void MeasuresOneShotHammingAccuracyAgainstGaussianPlanesOnHeldOutClasses()
    {
        // Fit on "training classes", score 20-way 1-shot Hamming nearest neighbour on other classes drawn the same way.
        var (train, trainRows) = TrainingSet();
        var fitted = Itq.Fit(train, trainRows, Dim, Bits, seed: 5);
        var gaussian = Itq.Fit(train, trainRows, Dim, Bits, seed: 5, iterations: 0);
        var pcaItq = Itq.Fit(train, trainRows, Dim, Dim, seed: 5);
        double itqAccuracy = OneShotAccuracy(fitted.ToPlanes()), gaussianAccuracy = OneShotAccuracy(gaussian.ToPlanes());
        double squareAccuracy = OneShotAccuracy(pcaItq.ToPlanes()), floatAccuracy = OneShotAccuracy(null);
        log.WriteLine($"20-way 1-shot Hamming NN, D = {Dim}, P = {Bits}, {Episodes} episodes × {Ways * Queries} queries:");
        log.WriteLine($"  Gaussian (ITQ start) {gaussianAccuracy:P1}, over-complete ITQ {itqAccuracy:P1}, ITQ at P = D = {Dim} {squareAccuracy:P1}, float Euclidean {floatAccuracy:P1}");
        log.WriteLine($"  quantisation error per point: start {fitted.QuantizationErrors[0]:F2}, after {Itq.DefaultIterations} iterations {fitted.QuantizationErrors[^1]:F2}");
        Assert.True(fitted.QuantizationErrors[^1] < fitted.QuantizationErrors[0]);
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
