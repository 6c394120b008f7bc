using Lshk.Lsh.Fitting;

namespace Lshk.Tests.Lsh.Fitting;

public class OneVsRestPlanesTests
{
    [Theory]
    [InlineData(5, 5)]
    [InlineData(20, 1)]
    [InlineData(20, 5)]
    public void EachClassPlanePutsItsOwnSupportsOnThePositiveSideAndTheRestOnTheNegative(int ways, int shots)
    {
        const int d = 32;
        // Clusters far from the origin (as ReLU embeddings are) and well apart.
        float[] support = FittingData.Clusters(ways, shots, d, spread: 6, noise: 0.3, offset: 2, seed: 40, out int[] labels);
        var planes = OneVsRestPlanes.Fit(support, ways * shots, d, labels, ways);
        Assert.Equal(ways, planes.Count);
        Assert.Equal(d, planes.Dim);
        for (int c = 0; c < ways; c++)
            for (int r = 0; r < ways * shots; r++)
                Assert.Equal(labels[r] == c, planes.Bit(support.AsSpan(r * d, d), c));
    }

    [Fact]
    public void NewPointsOfAClassFallOnItsPlanesPositiveSide()
    {
        const int ways = 10, shots = 5, queries = 20, d = 16;
        // One draw of clusters: the first `shots` rows of each class are supports, the rest are queries.
        float[] all = FittingData.Clusters(ways, shots + queries, d, spread: 6, noise: 0.3, offset: 1, seed: 41, out int[] allLabels);
        var supportRows = Enumerable.Range(0, ways * (shots + queries)).Where(r => r % (shots + queries) < shots).ToArray();
        float[] support = supportRows.SelectMany(r => all.AsSpan(r * d, d).ToArray()).ToArray();
        int[] labels = supportRows.Select(r => allLabels[r]).ToArray();
        var planes = OneVsRestPlanes.Fit(support, supportRows.Length, d, labels, ways);
        int right = 0, total = 0;
        for (int r = 0; r < allLabels.Length; r++)
        {
            if (r % (shots + queries) < shots) continue;
            for (int c = 0; c < ways; c++, total++)
                if (planes.Bit(all.AsSpan(r * d, d), c) == (allLabels[r] == c)) right++;
        }
        Assert.True(right >= total * 0.99, $"{right} of {total} query bits on the right side");
    }

    [Fact]
    public void PlanesAreTheSvmOnCentredSupportsWithTheMeanFoldedIntoTheOffsets()
    {
        const int ways = 4, shots = 3, d = 6, n = ways * shots;
        float[] support = FittingData.Clusters(ways, shots, d, spread: 1, noise: 0.8, offset: 5, seed: 42, out int[] labels);
        var options = new SvmOptions { Tolerance = 1e-8 };
        var planes = OneVsRestPlanes.Fit(support, n, d, labels, ways, options);
        var mean = Enumerable.Range(0, d).Select(j => Enumerable.Range(0, n).Average(r => (double)support[r * d + j])).ToArray();
        var centered = Enumerable.Range(0, n * d).Select(i => support[i] - mean[i % d]).ToArray();
        for (int c = 0; c < ways; c++)
        {
            var svm = LinearSvm.Train(centered, n, d, labels.Select(l => l == c ? 1 : -1).ToArray(), options);
            for (int j = 0; j < d; j++) Assert.Equal(svm.Weights[j], planes.Normals[c * d + j], 4);
            Assert.Equal(svm.Bias, planes.CenteredOffsets[c], 4);
            for (int r = 0; r < n; r++)
                Assert.Equal(svm.Decision(centered.AsSpan(r * d, d)), planes.Project(support.AsSpan(r * d, d), c), 3);
        }
        for (int j = 0; j < d; j++) Assert.Equal(mean[j], planes.Center[j], 5);
    }

    [Theory]
    [InlineData(20, 1, 64)]
    [InlineData(20, 5, 128)]
    [InlineData(5, 5, 64)]
    [InlineData(5, 1, 3)]
    public void MultiCodeGivesExactlyTheAskedPlanesAndIsSeeded(int ways, int shots, int count)
    {
        const int d = 64;
        int n = ways * shots;
        float[] support = FittingData.Clusters(ways, shots, d, spread: 6, noise: 0.3, offset: 2, seed: 43, out int[] labels);
        var a = OneVsRestPlanes.FitMulti(support, n, d, labels, ways, count, seed: 7);
        var b = OneVsRestPlanes.FitMulti(support, n, d, labels, ways, count, seed: 7);
        var other = OneVsRestPlanes.FitMulti(support, n, d, labels, ways, count, seed: 8);
        Assert.Equal(count, a.Count);
        Assert.Equal(count * d, a.Normals.Length);
        Assert.Equal(a.Normals, b.Normals);
        Assert.Equal(a.Offsets, b.Offsets);
        if (count > ways) Assert.NotEqual(a.Normals, other.Normals);

        // Round 0 is the single one-vs-rest code (for fewer planes than ways, some of its planes).
        var single = OneVsRestPlanes.Fit(support, n, d, labels, ways);
        for (int plane = 0; plane < Math.Min(ways, count); plane++)
        {
            int c = PositiveClass(a, plane, support, labels, d);
            Assert.Equal(single.Normals.AsSpan(c * d, d).ToArray(), a.Normals.AsSpan(plane * d, d).ToArray());
            Assert.Equal(single.Offsets[c], a.Offsets[plane]);
        }

        for (int plane = 0; plane < count; plane++)
        {
            // Later rounds see half the features: their normals are zero elsewhere.
            int used = Enumerable.Range(0, d).Count(j => a.Normals[plane * d + j] != 0);
            if (plane >= ways) Assert.Equal((int)Math.Ceiling(d * MultiCodeRoundFraction), used);
            // On well-separated clusters every plane still picks out exactly one class, and no two planes of a
            // round pick the same class.
            var positive = Enumerable.Range(0, n).Where(r => a.Bit(support.AsSpan(r * d, d), plane)).Select(r => labels[r]).Distinct().ToArray();
            Assert.Single(positive);
            int expected = plane < (count / ways) * ways ? plane % ways : -1;
            if (expected >= 0) Assert.Equal(expected, positive[0]);
        }
        int partialStart = count / ways * ways;
        var partialClasses = Enumerable.Range(partialStart, count - partialStart)
            .Select(p => Enumerable.Range(0, n).First(r => a.Bit(support.AsSpan(r * d, d), p))).Select(r => labels[r]).ToArray();
        Assert.Equal(partialClasses.Length, partialClasses.Distinct().Count());
    }

    [Fact]
    public void RejectsAnEpisodeWithAnEmptyClassOrOneClass()
    {
        float[] support = new float[3 * 2];
        var missing = Assert.Throws<ArgumentException>(() => OneVsRestPlanes.Fit(support, 3, 2, [0, 0, 2], 3));
        Assert.Contains("class 1 has no support", missing.Message);
        Assert.Throws<ArgumentException>(() => OneVsRestPlanes.Fit(support, 3, 2, [0, 0, 0], 1));
        Assert.Throws<ArgumentException>(() => OneVsRestPlanes.Fit(support, 3, 2, [0, 1, 5], 3));
    }

    private static int PositiveClass(PlaneSet planes, int plane, float[] support, int[] labels, int d) =>
        labels[Enumerable.Range(0, labels.Length).First(r => planes.Bit(support.AsSpan(r * d, d), plane))];

    // The feature share of the extra rounds (MultiCodeRound.FeatureFraction, internal to the library).
    private const double MultiCodeRoundFraction = 0.5;
}
