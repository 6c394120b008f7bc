using Lshk.Data;
using Lshk.Data.Episodes;

namespace Lshk.Tests.Data;

public class EpisodeSamplerTests
{
    /// <summary>A dataset of 1-pixel images: classes × perClass images, class c in group c / groupSize.</summary>
    internal static Dataset Synthetic(int classes, int perClass, int groupSize = 0)
    {
        int n = classes * perClass;
        var labels = Enumerable.Range(0, n).Select(i => i % classes).ToArray();   // interleaved, not sorted
        var images = Enumerable.Range(0, n).Select(i => (float)i).ToArray();
        var names = Enumerable.Range(0, classes).Select(c => $"c{c}").ToArray();
        var groups = groupSize > 0 ? Enumerable.Range(0, classes).Select(c => $"g{c / groupSize}").ToArray() : null;
        return new Dataset(images, n, 1, 1, 1, labels, names, groups, "synthetic");
    }

    [Fact]
    public void EpisodesHaveDistinctClassesAndDisjointSupportAndQuery()
    {
        var data = Synthetic(12, 9);
        var sampler = new EpisodeSampler(data, new EpisodeSpec(5, 3, 6), seed: 11);
        foreach (var e in sampler.SampleMany(300))
        {
            Assert.Equal(5, e.Classes.Distinct().Count());
            Assert.Equal(15, e.Support.Length);
            Assert.Equal(30, e.Query.Length);
            Assert.Equal(45, e.Support.Concat(e.Query).Distinct().Count());
            for (int j = 0; j < e.Support.Length; j++) Assert.Equal(e.Classes[e.SupportLabel(j)], data.Labels[e.Support[j]]);
            for (int j = 0; j < e.Query.Length; j++) Assert.Equal(e.Classes[e.QueryLabel(j)], data.Labels[e.Query[j]]);
        }
    }

    [Fact]
    public void SameSeedSameEpisodesInAnyOrder()
    {
        var data = Synthetic(20, 10);
        var spec = new EpisodeSpec(5, 1, 4);
        var a = new EpisodeSampler(data, spec, 42).SampleMany(50);
        var b = new EpisodeSampler(data, spec, 42);
        for (int i = 49; i >= 0; i--)
        {
            var e = b.Sample(i);
            Assert.Equal(a[i].Classes, e.Classes);
            Assert.Equal(a[i].Support, e.Support);
            Assert.Equal(a[i].Query, e.Query);
        }
        var c = new EpisodeSampler(data, spec, 43).SampleMany(50);
        Assert.True(Enumerable.Range(0, 50).Count(i => !a[i].Classes.SequenceEqual(c[i].Classes)) > 40);
    }

    [Fact]
    public void ClassesAndImagesAreDrawnUniformly()
    {
        var data = Synthetic(10, 6);
        var classCounts = new int[10];
        var imageCounts = new int[60];
        foreach (var e in new EpisodeSampler(data, new EpisodeSpec(2, 1, 1), 5).SampleMany(6000))
        {
            foreach (int c in e.Classes) classCounts[c]++;
            foreach (int i in e.Support) imageCounts[i]++;
        }
        Assert.All(classCounts, n => Assert.InRange(n, 1050, 1350));   // expected 1200 each
        Assert.All(imageCounts, n => Assert.InRange(n, 140, 260));     // expected 200 each
    }

    [Fact]
    public void WithinGroupEpisodesStayInOneGroup()
    {
        var data = Synthetic(30, 4, groupSize: 6);  // 5 groups of 6 classes
        var groupsSeen = new HashSet<string>();
        foreach (var e in new EpisodeSampler(data, new EpisodeSpec(5, 1, 2, EpisodeMode.WithinGroup), 3).SampleMany(200))
        {
            var groups = e.Classes.Select(c => data.ClassGroups![c]).Distinct().ToArray();
            Assert.Single(groups);
            groupsSeen.Add(groups[0]);
        }
        Assert.Equal(5, groupsSeen.Count);
    }

    [Fact]
    public void WithinAlphabetEpisodesOnOmniglotEvaluation()
    {
        var data = DataFiles.OmniglotEvaluationSet;
        foreach (var e in new EpisodeSampler(data, new EpisodeSpec(20, 1, 1, EpisodeMode.WithinGroup), 1).SampleMany(100))
            Assert.Single(e.Classes.Select(c => data.ClassGroups![c]).Distinct());
    }

    [Fact]
    public void ImpossibleRequestsGiveClearErrors()
    {
        var data = Synthetic(6, 5, groupSize: 3);
        Assert.Equal("cannot draw 7-way episodes from synthetic: it has only 6 classes",
            Assert.Throws<Lshk.Core.InputException>(() => new EpisodeSampler(data, new EpisodeSpec(7, 1, 1), 1)).Message);
        Assert.Equal("cannot draw 2 shots + 4 queries from class 'c0' of synthetic: it has only 5 images",
            Assert.Throws<Lshk.Core.InputException>(() => new EpisodeSampler(data, new EpisodeSpec(2, 2, 4), 1)).Message);
        Assert.Equal("cannot draw 4-way within-group episodes from synthetic: its largest group has 3 classes",
            Assert.Throws<Lshk.Core.InputException>(() => new EpisodeSampler(data, new EpisodeSpec(4, 1, 1, EpisodeMode.WithinGroup), 1)).Message);
        Assert.Contains("need class groups", Assert.Throws<Lshk.Core.InputException>(() =>
            new EpisodeSampler(Synthetic(6, 5), new EpisodeSpec(2, 1, 1, EpisodeMode.WithinGroup), 1)).Message);
        Assert.Throws<Lshk.Core.InputException>(() => new EpisodeSampler(data, new EpisodeSpec(0, 1, 1), 1));
        Assert.Throws<Lshk.Core.InputException>(() => new EpisodeSampler(data, new EpisodeSpec(2, 0, 1), 1));
        // Exactly K + Q images is possible: every image of the class is used once.
        var e = new EpisodeSampler(data, new EpisodeSpec(6, 2, 3), 1).Sample(0);
        Assert.Equal(Enumerable.Range(0, 30), e.Support.Concat(e.Query).Order());
    }
}
