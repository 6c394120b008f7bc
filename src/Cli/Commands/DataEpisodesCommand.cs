using System.CommandLine;
using Lshk.Data;
using Lshk.Data.Episodes;
using Lshk.Data.Sources;

namespace Lshk.Cli.Commands;

/// <summary><c>lshk data episodes</c>: draws a seeded list of episodes and saves it, so every method is compared on the same ones.</summary>
internal static class DataEpisodesCommand
{
    public static Command Create()
    {
        var options = new DataOptions();
        var part = new Option<string>("--from") { Description = "Classes to draw from: test, validation or train", DefaultValueFactory = _ => "test" };
        var ways = new Option<int>("--ways") { Description = "N: classes per episode", DefaultValueFactory = _ => 5 };
        var shots = new Option<int>("--shots") { Description = "K: support images per class", DefaultValueFactory = _ => 1 };
        var queries = new Option<int>("--queries") { Description = "Q: query images per class", DefaultValueFactory = _ => 15 };
        var trials = new Option<int?>("--trial-queries") { Description = "N query images per episode in all instead of --queries per class, each of a class drawn at random (the study's trials: 1)" };
        var count = new Option<int>("--episodes") { Description = "How many episodes", DefaultValueFactory = _ => 1000 };
        var mode = new Option<string>("--mode") { Description = "unstructured, or within-group (all N classes from one alphabet)", DefaultValueFactory = _ => "unstructured" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the episodes and of seeded splits", DefaultValueFactory = _ => 1UL };
        var split = new Option<string?>("--split") { Description = "Class split: the dataset's default, all, A-B/C-D ranges or T/V/E counts (Omniglot: official or vinyals)" };
        var validation = new Option<int>("--validation-classes") { Description = "Classes held out of training for validation" };
        var output = new Option<string>("--out") { Description = "Episode list to write (JSON)", Required = true };
        var command = new Command("episodes", "Draw N-way K-shot episodes (seeded) and save them for replay");
        options.AddTo(command);
        foreach (var o in new Option[] { part, ways, shots, queries, trials, count, mode, seed, split, validation, output }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var spec = options.Spec(parse);
            var data = options.Loader(parse).LoadFewShot(spec, options.Settings(parse),
                new SplitOptions(parse.GetValue(split), parse.GetValue(validation), parse.GetValue(seed)));
            string from = parse.GetValue(part)!;
            Dataset source = from switch
            {
                "test" => data.Test,
                "validation" => data.Validation ?? throw new UsageException("--from validation needs --validation-classes or a split with validation classes"),
                "train" => data.Train ?? throw new UsageException("this split has no training classes"),
                _ => throw new UsageException($"--from must be test, validation or train, not '{from}'"),
            };
            int? perEpisode = parse.GetValue(trials);
            if (perEpisode is not null && EvalOptions.Given(parse, queries))
                throw new UsageException("--trial-queries and --queries both set the queries: --queries counts per class, --trial-queries per episode; give one");
            var episodeSpec = new EpisodeSpec(parse.GetValue(ways), parse.GetValue(shots), perEpisode ?? parse.GetValue(queries),
                EpisodeSpec.ParseMode(parse.GetValue(mode)!), perEpisode is not null);
            int n = parse.GetValue(count);
            if (n < 1) throw new UsageException($"--episodes must be at least 1, not {n}");
            var sampler = new EpisodeSampler(source, episodeSpec, parse.GetValue(seed));
            EpisodeFile.Save(parse.GetValue(output)!, source, episodeSpec, sampler.Seed, sampler.SampleMany(n));
            Output.Error(parse).WriteLine($"wrote {n} episodes ({episodeSpec}) from {source.Source} to {parse.GetValue(output)}");
            return 0;
        });
        return command;
    }
}
