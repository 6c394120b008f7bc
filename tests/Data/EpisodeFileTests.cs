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

/// <summary>
/// What the version 2 episode file refuses: other images with the same labels, other preprocessing (image shape),
/// indices out of range, and version 1 files; and trial episodes round trip with their query labels.
/// </summary>
public sealed class EpisodeFileFingerprintTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static Dataset Images(int channels, int size, float change = 0)
    {
        var data = EpisodeSamplerTests.Synthetic(6, 5);
        int length = channels * size * size;
        var pixels = new float[data.Count * length];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (i % 17) / 17f;
        pixels[3 * length + 1] += change;
        return new Dataset(pixels, data.Count, channels, size, size, data.Labels, data.ClassNames, null, "pixels");
    }

    private string Saved(Dataset data, EpisodeSpec spec)
    {
        string path = _tmp.File("e.json");
        EpisodeFile.Save(path, data, spec, 1, new EpisodeSampler(data, spec, 1).SampleMany(4));
        return path;
    }

    private static void Refused(string path, Dataset data, string problem)
    {
        var e = Assert.Throws<DatasetFormatException>(() => EpisodeFile.Load(path, data));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void OneChangedPixelIsRefused()
    {
        string path = Saved(Images(1, 4), new EpisodeSpec(3, 1, 2));
        Assert.Equal(4, EpisodeFile.Load(path, Images(1, 4)).Episodes.Count);
        // Same labels, same class names, same shape: only image 3's second pixel differs.
        Refused(path, Images(1, 4, change: 0.25f), "other images or labels");
    }

    [Fact]
    public void OtherPreprocessingIsRefused()
    {
        string path = Saved(Images(1, 4), new EpisodeSpec(3, 1, 2));
        Refused(path, Images(1, 5), "prepared at 1×4×4, but pixels is prepared at 1×5×5");
        Refused(path, Images(3, 4), "other preprocessing");
    }

    [Fact]
    public void IndexOutOfRangeIsRefused()
    {
        var data = Images(1, 4);
        var spec = new EpisodeSpec(3, 1, 2);
        string path = Saved(data, spec);
        var first = new EpisodeSampler(data, spec, 1).Sample(0);
        File.WriteAllText(path, File.ReadAllText(path).Replace($"\"support\": [{first.Support[0]}, ", "\"support\": [30, "));
        Refused(path, data, "episode 0: image indices must be distinct and below 30");
    }

    [Fact]
    public void VersionOneFilesAreRefusedWithTheReason()
    {
        var data = Images(1, 4);
        string path = Saved(data, new EpisodeSpec(3, 1, 2));
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"version\": 2", "\"version\": 1"));
        Refused(path, data, "fingerprint covers the labels only");
    }

    [Fact]
    public void TrialEpisodesRoundTripWithTheirQueryLabels()
    {
        var data = Images(1, 4);
        var spec = new EpisodeSpec(3, 1, 2, QueriesPerEpisode: true);
        string path = Saved(data, spec);
        var list = EpisodeFile.Load(path, data);
        Assert.Equal(spec, list.Spec);
        var expected = new EpisodeSampler(data, spec, 1).SampleMany(4);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(expected[i].Query, list.Episodes[i].Query);
            Assert.Equal(expected[i].QueryLabels, list.Episodes[i].QueryLabels);
        }
        // A label that names another class than its image's is caught against the dataset.
        string text = File.ReadAllText(path);
        int at = text.IndexOf("\"query_labels\": [", StringComparison.Ordinal) + "\"query_labels\": [".Length;
        char label = text[at];
        File.WriteAllText(path, text[..at] + (label == '0' ? '1' : '0') + text[(at + 1)..]);
        Refused(path, data, "episode 0: query image");
    }
}
