using Lshk.Data;
using Lshk.Data.Caching;
using Lshk.Data.Sources;

namespace Lshk.Tests.Data;

/// <summary>The cache through the loader, on small MNIST files: hits, invalidation, damaged files.</summary>
public sealed class DatasetCacheTests : IDisposable
{
    private readonly TempFolder _tmp = new();
    private readonly string _mnist;
    private readonly string _cache;

    public DatasetCacheTests()
    {
        _mnist = Path.Combine(_tmp.Path, "mnist");
        _cache = Path.Combine(_tmp.Path, "cache");
        Directory.CreateDirectory(_mnist);
        DataFiles.WriteMnist(_mnist, "t10k", 30);
    }

    public void Dispose() => _tmp.Dispose();

    private LoadedPart Load(PreprocessSettings? settings = null)
    {
        var loader = new DatasetLoader(new DataLocations(null, null), new DatasetCache(_cache));
        var spec = DatasetSpec.Parse("mnist:" + _mnist);
        return loader.Load(spec, loader.Parts(spec, out _).Single(), settings ?? PreprocessSettings.Default);
    }

    private static void AssertSame(Dataset a, Dataset b)
    {
        Assert.Equal(a.Images, b.Images);
        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal(a.ClassNames, b.ClassNames);
        Assert.Equal((a.Channels, a.Height, a.Width, a.Source), (b.Channels, b.Height, b.Width, b.Source));
    }

    private string CacheFile() => Assert.Single(Directory.GetFiles(_cache, "*" + DatasetCache.Extension));

    [Fact]
    public void SecondLoadComesFromTheCacheWithTheSameTensors()
    {
        var first = Load();
        Assert.Equal(CacheState.Built, first.Cache);
        var second = Load();
        Assert.Equal(CacheState.Hit, second.Cache);
        AssertSame(first.Data, second.Data);
        Assert.Equal("test", second.Name);
    }

    [Fact]
    public void ChangedSourceOrSettingsMissTheCache()
    {
        Load();
        string before = CacheFile();
        Assert.Equal(CacheState.Built, Load(new PreprocessSettings(14)).Cache);
        Assert.Equal((1, 14, 14), (Load(new PreprocessSettings(14)).Data.Channels, 14, 14));
        DataFiles.WriteMnist(_mnist, "t10k", 31);   // a changed source
        var changed = Load(new PreprocessSettings(14));
        Assert.Equal(CacheState.Built, changed.Cache);
        Assert.Equal(31, changed.Data.Count);
        // Superseded files of the same part are removed.
        Assert.DoesNotContain(before, Directory.GetFiles(_cache));
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("truncate")]
    [InlineData("empty")]
    [InlineData("garbage")]
    public void DamagedCacheIsRebuiltNotTrusted(string damage)
    {
        var original = Load().Data;
        string file = CacheFile();
        byte[] bytes = File.ReadAllBytes(file);
        switch (damage)
        {
            case "flip": bytes[bytes.Length / 2] ^= 0x10; break;
            case "truncate": bytes = bytes[..(bytes.Length - 100)]; break;
            case "empty": bytes = []; break;
            default: bytes = Enumerable.Range(0, 5000).Select(i => (byte)(i * 37)).ToArray(); break;
        }
        File.WriteAllBytes(file, bytes);
        var again = Load();
        Assert.Equal(CacheState.Rebuilt, again.Cache);
        AssertSame(original, again.Data);
        Assert.Equal(CacheState.Hit, Load().Cache);
    }

    [Fact]
    public void CacheFileRoundTripsGroupsAndNames()
    {
        var data = EpisodeSamplerTests.Synthetic(7, 3, groupSize: 2);
        var cache = new DatasetCache(_cache);
        string key = DatasetCache.Key("x", "s", "f");
        var (built, state) = cache.GetOrBuild("x", key, () => data);
        Assert.Equal(CacheState.Built, state);
        var read = DatasetCache.TryRead(cache.PathFor("x", key), key)!;
        AssertSame(data, read);
        Assert.Equal(data.ClassGroups, read.ClassGroups);
        Assert.Null(DatasetCache.TryRead(cache.PathFor("x", key), DatasetCache.Key("x", "s", "g")));
        Assert.Empty(Directory.GetFiles(_cache, "*.tmp"));
    }

    [Fact]
    public void NoCacheReadsTheSources()
    {
        var loader = new DatasetLoader(new DataLocations(null, null), cache: null);
        var spec = DatasetSpec.Parse("mnist:" + _mnist);
        Assert.Equal(CacheState.Off, loader.Load(spec, loader.Parts(spec, out _).Single(), PreprocessSettings.Default).Cache);
        Assert.False(Directory.Exists(_cache));
    }
}
