using Lshk.Data;
using Lshk.Data.Episodes;

namespace Lshk.Tests.Data;

public sealed class EpisodeFileTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void SavedEpisodesReplayIdentically()
    {
        var data = EpisodeSamplerTests.Synthetic(10, 8, groupSize: 5);
        var spec = new EpisodeSpec(5, 2, 3, EpisodeMode.WithinGroup);
        var episodes = new EpisodeSampler(data, spec, 99).SampleMany(40);
        string path = _tmp.File("episodes.json");
        EpisodeFile.Save(path, data, spec, 99, episodes);
        var list = EpisodeFile.Load(path, data);
        Assert.Equal(spec, list.Spec);
        Assert.Equal(99UL, list.Seed);
        Assert.Equal(40, list.Episodes.Count);
        for (int i = 0; i < 40; i++)
        {
            Assert.Equal(episodes[i].Classes, list.Episodes[i].Classes);
            Assert.Equal(episodes[i].Support, list.Episodes[i].Support);
            Assert.Equal(episodes[i].Query, list.Episodes[i].Query);
        }
        Assert.Empty(Directory.GetFiles(_tmp.Path, "*.tmp"));
    }

    [Fact]
    public void ReplayOnAnotherDatasetIsRefused()
    {
        var data = EpisodeSamplerTests.Synthetic(10, 8);
        string path = _tmp.File("e.json");
        EpisodeFile.Save(path, data, new EpisodeSpec(3, 1, 1), 1, new EpisodeSampler(data, new EpisodeSpec(3, 1, 1), 1).SampleMany(3));
        var other = EpisodeSamplerTests.Synthetic(10, 9);
        var e = Assert.Throws<DatasetFormatException>(() => EpisodeFile.Load(path, other));
        Assert.StartsWith(path + ": these episodes were drawn from another dataset", e.Message);
    }

    [Fact]
    public void DamagedListsAreReported()
    {
        var data = EpisodeSamplerTests.Synthetic(10, 8);
        string path = _tmp.File("e.json");
        var spec = new EpisodeSpec(3, 1, 1);
        EpisodeFile.Save(path, data, spec, 1, new EpisodeSampler(data, spec, 1).SampleMany(3));
        string text = File.ReadAllText(path);
        void Expect(string content, string problem)
        {
            File.WriteAllText(path, content);
            var e = Assert.Throws<DatasetFormatException>(() => EpisodeFile.Load(path, data));
            Assert.StartsWith(path + ": ", e.Message);
            Assert.Contains(problem, e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        Expect(text[..(text.Length / 2)], "not valid JSON");
        Expect(text.Replace("\"ways\": 3", "\"ways\": 4"), "does not have the shape");
        Expect(text.Replace("lshk-episodes", "other"), "not an episode list");
        Expect("[1, 2]", "not an episode list");
        Expect(text.Replace("\"seed\": 1", "\"seed\": \"x\""), "not an episode list");
        var first = new EpisodeSampler(data, spec, 1).Sample(0);
        Expect(text.Replace($"\"support\": [{first.Support[0]}, ", $"\"support\": [{first.Query[0]}, "), "episode 0: image indices must be distinct");
    }
}
