using System.CommandLine;
using Lshk.Data.Caching;
using Lshk.Data.Sources;
using Spectre.Console;

namespace Lshk.Cli.Commands;

/// <summary>Where train and eval read a dataset from: the cache (or not) and, for train, whether a missing dataset is downloaded.</summary>
internal sealed class DataSourceOptions(bool download = true)
{
    public Option<bool> NoCache { get; } = new("--no-cache") { Description = "Read the dataset's source files, neither reading nor writing the cache" };
    public Option<bool> NoDownload { get; } = new("--no-download")
    {
        Description = "Don't download the dataset when it is in neither $LSHK_DATA nor data/ (by default it is fetched from its official location)",
    };
    public Option<string?> CacheDir { get; } = new("--cache-dir") { Description = "Dataset cache folder (default: $LSHK_DATA/cache, else data/cache in the repository)" };

    public IEnumerable<Option> All => download ? [NoCache, NoDownload, CacheDir] : [NoCache, CacheDir];

    /// <summary>A loader for the dataset, downloading it first when it is missing and downloads are allowed.</summary>
    public DatasetLoader Loader(ParseResult parse, DatasetSpec spec, IAnsiConsole console)
    {
        var locations = DataLocations.FromEnvironment();
        if (download) DatasetDownload.EnsurePresent(spec, locations, !parse.GetValue(NoDownload), console);
        DatasetCache? cache = parse.GetValue(NoCache) ? null : new DatasetCache(parse.GetValue(CacheDir) ?? locations.CacheFolder());
        return new DatasetLoader(locations, cache);
    }
}
