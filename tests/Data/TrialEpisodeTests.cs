using Lshk.Data;
using Lshk.Data.Episodes;

namespace Lshk.Tests.Data;

/// <summary>
/// Trial episodes (queries counted per episode, the original study's protocol): N supports per class as usual, Q
/// queries in all, each of a class drawn uniformly among the episode's N.
/// </summary>
public class TrialEpisodeTests
{
    [Fact]
    public void OneQueryPerEpisodeOfAUniformlyDrawnClass()
    {
        var data = EpisodeSamplerTests.Synthetic(12, 9);
        var spec = new EpisodeSpec(4, 2, 1, QueriesPerEpisode: true);
        Assert.Equal(1, spec.QueryCount);
        const int episodes = 8000;
        var labelCounts = new int[4];
        foreach (var e in new EpisodeSampler(data, spec, 3).SampleMany(episodes))
        {
            Assert.Equal(4, e.Classes.Distinct().Count());
            Assert.Equal(8, e.Support.Length);
            var query = Assert.Single(e.Query);
            Assert.DoesNotContain(query, e.Support);
            int label = e.QueryLabel(0);
            Assert.Equal(e.Classes[label], data.Labels[query]);
            for (int j = 0; j < e.Support.Length; j++) Assert.Equal(e.Classes[e.SupportLabel(j)], data.Labels[e.Support[j]]);
            labelCounts[label]++;
        }
        // Each episode label is the query's with probability 1/4: counts 2000 ± 4 sd (sd = √(8000 · ¼ · ¾) ≈ 38.7).
        foreach (int count in labelCounts) Assert.InRange(count, 2000 - 155, 2000 + 155);
    }

    [Fact]
    public void SeveralTrialQueriesAreDistinctImagesListedClassByClass()
    {
        var data = EpisodeSamplerTests.Synthetic(6, 10);
        var spec = new EpisodeSpec(3, 1, 7, QueriesPerEpisode: true);
        var sampler = new EpisodeSampler(data, spec, 9);
        bool unbalanced = false;
        foreach (var e in sampler.SampleMany(200))
        {
            Assert.Equal(7, e.Query.Length);
            Assert.Equal(10, e.Support.Concat(e.Query).Distinct().Count());
            var labels = Enumerable.Range(0, 7).Select(e.QueryLabel).ToArray();
            Assert.Equal(labels.Order(), labels);
            for (int j = 0; j < 7; j++) Assert.Equal(e.Classes[labels[j]], data.Labels[e.Query[j]]);
            unbalanced |= labels.Count(l => l == 0) != labels.Count(l => l == 1);
        }
        Assert.True(unbalanced, "7 queries over 3 classes are never balanced, so some episode must show it");
        // Episode i is a function of (seed, i) only.
        Assert.Equal(sampler.Sample(17).Query, new EpisodeSampler(data, spec, 9).Sample(17).Query);
    }

    [Fact]
    public void EveryClassMustHoldTheShotsAndAllTheTrialQueries()
    {
        // A trial's queries may all fall on one class: 2 shots + 4 queries need 6 images per class; there are 5.
        var e = Assert.Throws<Lshk.Core.InputException>(() =>
            new EpisodeSampler(EpisodeSamplerTests.Synthetic(6, 5), new EpisodeSpec(3, 2, 4, QueriesPerEpisode: true), 1));
        Assert.Contains("only 5 images", e.Message);
    }
}
