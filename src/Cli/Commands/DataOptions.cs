using System.CommandLine;
using Lshk.Data;
using Lshk.Data.Caching;
using Lshk.Data.Sources;

namespace Lshk.Cli.Commands;

/// <summary>Options shared by the commands that load a dataset.</summary>
internal sealed class DataOptions
{
    public Argument<string> Dataset { get; } = new("dataset")
    {
        Description = $"NAME or NAME:PATH, NAME one of {Lshk.Data.Datasets.DatasetRegistry.Names()} (folder:PATH: an image folder). " +
                      "Without a path: $LSHK_DATA/NAME, then data/NAME in the repository",
    };
    public Option<int> Size { get; } = new("--size") { Description = "Resize images to SIZE×SIZE (antialiased); 0 keeps their size", DefaultValueFactory = _ => 28 };
    public Option<string> Channels { get; } = new("--channels") { Description = "auto (as the data has them), gray or rgb", DefaultValueFactory = _ => "auto" };
    public Option<bool> NoCache { get; } = new("--no-cache") { Description = "Read the source files, neither reading nor writing the cache" };
    public Option<string?> CacheDir { get; } = new("--cache-dir") { Description = "Cache folder (default: $LSHK_DATA/cache, else data/cache in the repository)" };

    public void AddTo(Command command)
    {
        command.Arguments.Add(Dataset);
        command.Options.Add(Size);
        command.Options.Add(Channels);
        command.Options.Add(NoCache);
        command.Options.Add(CacheDir);
    }

    public DatasetSpec Spec(ParseResult parse) => DatasetSpec.Parse(parse.GetValue(Dataset)!);

    public PreprocessSettings Settings(ParseResult parse) =>
        new PreprocessSettings(parse.GetValue(Size), PreprocessSettings.ParseChannels(parse.GetValue(Channels)!)).Validated();

    public DatasetLoader Loader(ParseResult parse)
    {
        var locations = DataLocations.FromEnvironment();
        DatasetCache? cache = parse.GetValue(NoCache) ? null : new DatasetCache(parse.GetValue(CacheDir) ?? locations.CacheFolder());
        return new DatasetLoader(locations, cache);
    }

    public static string Describe(CacheState state) => state switch
    {
        CacheState.Hit => "hit",
        CacheState.Built => "built and saved",
        CacheState.Rebuilt => "rebuilt (the cache file was damaged or stale)",
        CacheState.NotSaved => "built, could not be saved",
        _ => "off",
    };
}
