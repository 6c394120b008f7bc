using Lshk.Kernels.Cpu;
using Lshk.Kernels.Random;
using Lshk.Lsh;
using Lshk.Lsh.Index;
using Lshk.Tests.Reference;

namespace Lshk.Tests.Lsh;

public class IndexClassifierTests
{
    private const int Dim = 12;

    [Fact]
    public void HammingRanksClassesByTheirBestSupport()
    {
        using var backend = new CpuBackend();
        var index = IndexTestData.Index(n: 60, dim: Dim, bits: 37, classes: ["a", "b", "c", "d", "e", "f", "g"]);
        float[] queries = Queries(25);
        using var classifier = new IndexClassifier(backend, index, MatchMethod.HammingNearest);
        var result = classifier.Classify(queries, 25, top: 4);
        uint[] qc = index.Hasher.Hash(backend, queries, 25);
        var (idx, score) = ScalarReference.HammingTopK(index.Codes.ToArray(), 60, qc, 25, 37, 60);
        for (int r = 0; r < 25; r++)
            Assert.Equal(FirstPerClass(idx.AsSpan(r * 60, 60), score.Select(s => (double)s).ToArray().AsSpan(r * 60, 60), index.Labels, 4), result[r]);
    }

    [Fact]
    public void CosineRanksClassesByTheirBestSupport()
    {
        using var backend = new CpuBackend();
        var index = IndexTestData.Index(n: 40, dim: Dim, bits: 16, classes: ["a", "b", "c", "d", "e"]);
        float[] queries = Queries(10);
        using var classifier = new IndexClassifier(backend, index, MatchMethod.CosineNearest);
        var result = classifier.Classify(queries, 10, top: 5);
        var (idx, score) = ScalarReference.CosineTopK(index.Embeddings.ToArray(), 40, queries, 10, Dim, 40);
        for (int r = 0; r < 10; r++)
        {
            var expected = FirstPerClass(idx.AsSpan(r * 40, 40), score.AsSpan(r * 40, 40), index.Labels, 5);
            Assert.Equal(expected.Select(e => e.Class), result[r].Select(e => e.Class));
            for (int j = 0; j < 5; j++) Assert.Equal(expected[j].Score, result[r][j].Score, 1e-5);
        }
    }

    [Fact]
    public void AsymmetricRanksClassesByTheBestSupportsSignedSumOfQueryProjections()
    {
        using var backend = new CpuBackend();
        var index = IndexTestData.Index(n: 50, dim: Dim, bits: 29, classes: ["a", "b", "c", "d", "e", "f"]);
        float[] queries = Queries(20);
        using var classifier = new IndexClassifier(backend, index, MatchMethod.Asymmetric);
        var result = classifier.Classify(queries, 20, top: 3);
        float[] projections = index.Hasher.Project(backend, queries, 20);
        var codes = index.Codes.ToArray();
        for (int r = 0; r < 20; r++)
        {
            // Float64 reference: score of support s = Σ_i p_i · (bit i of s ? +1 : −1) / Σ_i |p_i|; best first, ties to the
            // lower support.
            double norm = Enumerable.Range(0, 29).Sum(i => Math.Abs((double)projections[r * 29 + i]));
            var scores = Enumerable.Range(0, 50).Select(s => Enumerable.Range(0, 29)
                .Sum(i => projections[r * 29 + i] * ((codes[s * index.Words + i / 32] >> (i % 32) & 1) == 1 ? 1.0 : -1.0)) / norm).ToArray();
            var ranked = Enumerable.Range(0, 50).OrderByDescending(s => scores[s]).ThenBy(s => s).ToArray();
            var expected = FirstPerClass(ranked, ranked.Select(s => scores[s]).ToArray(), index.Labels, 3);
            Assert.Equal(expected.Select(e => e.Class), result[r].Select(e => e.Class));
            for (int j = 0; j < 3; j++) Assert.Equal(expected[j].Score, result[r][j].Score, 1e-6);
            Assert.All(result[r], s => Assert.InRange(s.Score, -1, 1));
        }
    }

    [Fact]
    public void HammingProtoMatchesClassMajorityCodes()
    {
        using var backend = new CpuBackend();
        var index = IndexTestData.Index(n: 30, dim: Dim, bits: 33, classes: ["a", "b", "c", "d"]);
        float[] queries = Queries(15);
        using var classifier = new IndexClassifier(backend, index, MatchMethod.HammingMajority);
        var result = classifier.Classify(queries, 15, top: 10);     // more than the 4 classes: all 4, ranked
        uint[] majority = ScalarReference.MajorityCodes(index.Codes.ToArray(), 30, 33, index.Labels.ToArray(), 4);
        uint[] qc = index.Hasher.Hash(backend, queries, 15);
        for (int r = 0; r < 15; r++)
        {
            var expected = Enumerable.Range(0, 4)
                .Select(c => new ClassScore(c, 33 - ScalarReference.Hamming(qc, r, majority, c, 2)))
                .OrderByDescending(s => s.Score).ThenBy(s => s.Class).ToArray();
            Assert.Equal(expected, result[r]);
        }
    }

    [Fact]
    public void ManySupportsOfOneClassDoNotHideTheOthers()
    {
        // 300 near-copies of the query in class "crowd", then one support each of three other classes: the search
        // must look past the crowd (wider than its first k) to rank the others.
        using var backend = new CpuBackend();
        float[] query = Queries(1);
        var embeddings = new List<float>();
        var classes = new List<string>();
        for (int i = 0; i < 300; i++) { embeddings.AddRange(query.Select((v, j) => v + 1e-3f * ((i + j) % 7))); classes.Add("crowd"); }
        float[] others = RandomArrays.Gaussian(3 * Dim, 99);
        embeddings.AddRange(others);
        classes.AddRange(["p", "q", "r"]);
        var hashes = classes.Select((_, i) => System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i))).ToArray();
        var planes = Hyperplanes.Generate(PlaneFamily.Gaussian, 64, Dim, 4);
        var index = SupportIndex.Create(backend, IndexTestData.Checksum, planes, false, new SupportItems(classes, embeddings.ToArray(), Dim, hashes));
        foreach (var method in new[] { MatchMethod.HammingNearest, MatchMethod.CosineNearest })
        {
            using var classifier = new IndexClassifier(backend, index, method);
            var result = classifier.Classify(query, 1, top: 4)[0];
            Assert.Equal(4, result.Length);
            Assert.Equal("crowd", index.ClassNames[result[0].Class]);
            Assert.Equal(["p", "q", "r"], result.Skip(1).Select(s => index.ClassNames[s.Class]).Order());
        }
    }

    /// <summary>
    /// Adding classes keeps earlier results, precisely: stored codes and the frozen centre do not change, so a
    /// query's scores against earlier supports do not change. Its prediction changes only if an added support
    /// scores strictly higher than its earlier best (ties go to the lower, earlier support): then the prediction is
    /// that added support's class. Every earlier top class scoring above the best added support keeps its rank and score.
    /// </summary>
    [Theory]
    [InlineData(MatchMethod.HammingNearest)]
    [InlineData(MatchMethod.CosineNearest)]
    [InlineData(MatchMethod.HammingMajority)]
    public void AddingClassesKeepsEarlierResults(MatchMethod method)
    {
        using var backend = new CpuBackend();
        var before = IndexTestData.Index(n: 40, dim: Dim, bits: 48, classes: ["a", "b", "c", "d", "e"]);
        var extra = IndexTestData.Items(20, Dim, ["n1", "n2", "n3", "n4"], 77);
        var after = before.Add(backend, extra);
        float[] queries = Queries(200);
        ClassScore[][] old, now, addedOnly;
        using (var c = new IndexClassifier(backend, before, method)) old = c.Classify(queries, 200, 5);
        using (var c = new IndexClassifier(backend, after, method)) now = c.Classify(queries, 200, 9);
        // The best score of the added items alone, hashed with the same planes and centre.
        var alone = new SupportIndex(after.ModelChecksum, after.Hasher, ["n1", "n2", "n3", "n4"], after.Labels[40..].ToArray().Select(l => l - 5).ToArray(),
            after.ContentHashes[(40 * 32)..].ToArray(), after.Codes[(40 * after.Words)..].ToArray(), after.Embeddings[(40 * Dim)..].ToArray());
        using (var c = new IndexClassifier(backend, alone, method)) addedOnly = c.Classify(queries, 200, 1);
        int unchanged = 0;
        for (int r = 0; r < 200; r++)
        {
            double bestAdded = addedOnly[r][0].Score;
            // A tie keeps the earlier answer: ties go to the lower support index (or, with prototypes, class id).
            bool addedWins = bestAdded > old[r][0].Score;
            if (addedWins)
            {
                Assert.True(now[r][0].Class >= 5, $"query {r}: an added support scores higher, so an added class wins");
                Assert.Equal(bestAdded, now[r][0].Score);
            }
            else
            {
                unchanged++;
                Assert.Equal(old[r][0], now[r][0]);
            }
            // Earlier classes that score above every added one keep their place.
            var kept = old[r].TakeWhile(s => s.Score > bestAdded).ToArray();
            Assert.Equal(kept, now[r].Take(kept.Length).ToArray());
        }
        // Most queries keep their answer: the test exercises the unchanged branch, not only the other.
        Assert.InRange(unchanged, 80, 200);
        Assert.True(unchanged < 200, "some queries should move to an added class");
    }

    private static float[] Queries(int q)
    {
        float[] x = RandomArrays.Gaussian((long)q * Dim, 1234);
        for (int i = 0; i < x.Length; i++) x[i] += 1f;
        return x;
    }

    /// <summary>Reference: walk the full ranking and keep each class's first (best) support.</summary>
    private static ClassScore[] FirstPerClass(ReadOnlySpan<int> ranked, ReadOnlySpan<double> scores, ReadOnlySpan<int> labels, int top)
    {
        var result = new List<ClassScore>();
        for (int j = 0; j < ranked.Length && result.Count < top; j++)
        {
            int label = labels[ranked[j]];
            if (result.All(s => s.Class != label)) result.Add(new ClassScore(label, scores[j]));
        }
        return result.ToArray();
    }
}
