using System.CommandLine;
using Lshk.App.Evaluation;
using Lshk.Data.Episodes;
using Lshk.Lsh;

namespace Lshk.Cli.Commands;

/// <summary>The options of <c>lshk eval</c>.</summary>
internal sealed class EvalOptions
{
    public Option<string> Model { get; } = new("--model") { Description = "Model file (.safetensors) to evaluate, or a folder: every *.safetensors in it, on the same episodes (a row per model × setting)", Required = true };
    public Option<string?> Data { get; } = new("--data") { Description = "Dataset NAME or NAME:PATH (default: the model's training dataset, else omniglot); its test classes are used" };
    public Option<int[]> Ways { get; } = CommonOptions.IntList("--ways", "N: classes per episode (comma-separated)", 5, 20);
    public Option<int[]> Shots { get; } = CommonOptions.IntList("--shots", "K: support images per class (comma-separated)", 1, 5);
    public Option<int[]> Planes { get; } = CommonOptions.IntList("--planes", "Hash planes (bits per code), comma-separated", 16, 32, 64, 128);
    public Option<string> Hash { get; } = new("--hash") { Description = $"Hash families (comma-separated): {string.Join(", ", HashFamilies.Names)}", DefaultValueFactory = _ => "gaussian,uniform,integer" };
    public Option<string?> Methods { get; } = new("--methods") { Description = "Matching methods (default all but asymmetric): cosine, cosine-mean, euclidean-mean, hamming, hamming-proto, sigmoid, asymmetric" };
    public Option<int> Episodes { get; } = new("--episodes") { Description = "Episodes per (ways, shots)", DefaultValueFactory = _ => 1000 };
    public Option<int> Queries { get; } = new("--queries") { Description = "Query images per class", DefaultValueFactory = _ => 15 };
    public Option<int?> TrialQueries { get; } = new("--trial-queries") { Description = "N query images per episode in all instead of --queries per class, each of a class drawn at random among the episode's (the study's trials: 1, so each episode scores 0 or 1)" };
    public Option<bool> FixedSupport { get; } = new("--fixed-support") { Description = "Also score the study's constant protocol: per (ways, shots) one support set and query list (the first episode of the seed), with a 95% Wilson interval over its queries; rows say their protocol" };
    public Option<string?> EpisodesFile { get; } = new("--episodes-file") { Description = "Replay the episodes of a list written by lshk data episodes (it fixes ways, shots, queries, mode, seed and the count); refused if drawn from other images or preprocessing" };
    public Option<int> Range { get; } = new("--range") { Description = "R of the integer family: plane entries are integers in [-R, R)", DefaultValueFactory = _ => PlaneDrawOptions.DefaultRange };
    public Option<float> SigmoidK { get; } = new("--sigmoid-k") { Description = "k of the sigmoid score Σ sigmoid(k·s·q) (the study: 1 for MNIST, 50 elsewhere)", DefaultValueFactory = _ => SigmoidScore.DefaultSharpness };
    public Option<bool> WithinGroup { get; } = new("--within-group") { Description = "Draw all N classes of an episode from one group (one Omniglot alphabet)" };
    public Option<string> Center { get; } = new("--center") { Description = "on: subtract the episode's support mean before hashing random planes; off: hash the embeddings as they are (the original study's setting)", DefaultValueFactory = _ => "on" };
    public Option<string> FittedCenters { get; } = new("--fitted-center") { Description = "Where fitted and learned planes (pca, itq, learned) pass, comma-separated: training (the training mean they were fitted around, or the hash layer's trained bias, as enroll uses them) or support (the episode's support mean, as --center on does for random planes); both give a row each", DefaultValueFactory = _ => "training" };
    public Option<ulong> Seed { get; } = new("--seed") { Description = "Seed of the episodes and the planes", DefaultValueFactory = _ => 1UL };
    public Option<int> Threads { get; } = new("--threads") { Description = "Episodes evaluated at once on the CPU (0: one per core); results do not depend on it", DefaultValueFactory = _ => 0 };
    public Option<string?> Csv { get; } = new("--csv") { Description = "Write one CSV row per (model, ways, shots, hash, planes, method, protocol)" };
    public Option<string?> Json { get; } = new("--json") { Description = "Write the results as JSON" };
    public Option<string?> Plot { get; } = new("--plot") { Description = "Write a PNG plot: accuracy per (ways, shots) against --plot-x, every model of a folder on it" };
    public Option<string> PlotX { get; } = new("--plot-x") { Description = "planes: accuracy against the plane count (a panel per ways and shots); shots: against the supports per class (a panel per ways, a line per plane count)", DefaultValueFactory = _ => "planes" };
    public Option<string?> Split { get; } = new("--split") { Description = "Class split (see lshk data episodes; Omniglot: official or vinyals); default: the one the model was trained under" };
    public Option<string> Classes { get; } = new("--classes") { Description = "test: the dataset's test classes; validation: the training classes the model held out for validation (their count and seed from its file), to choose settings such as --views without looking at the test classes", DefaultValueFactory = _ => TestClasses };
    public DataSourceOptions Source { get; } = new DataSourceOptions(download: false);

    public const string TestClasses = "test", ValidationClasses = "validation";

    /// <summary>Whether --classes asks for the model's validation classes.</summary>
    public bool OnValidation(ParseResult parse) => parse.GetValue(Classes) switch
    {
        TestClasses => false,
        ValidationClasses => true,
        var other => throw new UsageException($"--classes must be {TestClasses} or {ValidationClasses}, not '{other}'"),
    };
    public Option<string> Device { get; } = CommonOptions.Device();
    public TraceOptions Tracing { get; } = new();
    public ViewOptions Views { get; } = new();

    public IEnumerable<Option> All =>
    [
        Model, Data, Ways, Shots, Planes, Hash, Methods, Episodes, Queries, TrialQueries, FixedSupport, EpisodesFile, WithinGroup,
        Center, FittedCenters, Range, SigmoidK, Seed, Threads, Csv, Json, Plot, PlotX, Split, Classes, .. Views.All,
        .. Source.All, Device, .. Tracing.All,
    ];

    /// <summary>The episodes, planes and methods asked for (before an episode list, if any, replaces the episode settings).</summary>
    public EvaluationGrid Grid(ParseResult parse)
    {
        int? trials = parse.GetValue(TrialQueries);
        if (trials is not null && Given(parse, Queries))
            throw new UsageException("--trial-queries and --queries both set the queries: --queries counts per class, --trial-queries per episode; give one");
        return new EvaluationGrid(parse.GetValue(Ways)!, parse.GetValue(Shots)!, parse.GetValue(Planes)!,
            ParseList(parse.GetValue(Hash)!, name => HashFamilies.Get(name)), parse.GetValue(Episodes), trials ?? parse.GetValue(Queries),
            parse.GetValue(WithinGroup) ? EpisodeMode.WithinGroup : EpisodeMode.Unstructured,
            CommonOptions.ParseOnOff(parse.GetValue(Center)!, "--center"), parse.GetValue(Seed), parse.GetValue(SigmoidK),
            Threads: parse.GetValue(Threads))
        {
            Methods = parse.GetValue(Methods) is { } m ? ParseList(m, MatchMethods.Parse) : MatchMethods.Default,
            IntegerRange = parse.GetValue(Range),
            FittedCenters = ParseList(parse.GetValue(FittedCenters)!, ParseFittedCenter),
            QueriesPerEpisode = trials is not null,
            FixedSupport = parse.GetValue(FixedSupport),
        };
    }

    /// <summary>
    /// The grid set to replay <paramref name="list"/> (read from <paramref name="file"/>), refusing an episode option given
    /// on the command line with another value than the file's.
    /// </summary>
    public EvaluationGrid Replaying(ParseResult parse, EvaluationGrid grid, EpisodeList list, string file)
    {
        var spec = list.Spec;
        void Same(Option option, bool same, string fileValue)
        {
            if (Given(parse, option) && !same)
                throw new UsageException($"{option.Name} conflicts with {file}, which fixes {fileValue}; leave it out");
        }
        Same(Ways, grid.Ways.SequenceEqual([spec.Ways]), $"{spec.Ways}-way episodes");
        Same(Shots, grid.Shots.SequenceEqual([spec.Shots]), $"{spec.Shots}-shot episodes");
        Same(Queries, !spec.QueriesPerEpisode && grid.Queries == spec.Queries, $"{spec.Queries} {(spec.QueriesPerEpisode ? "queries per episode" : "queries per class")}");
        Same(TrialQueries, spec.QueriesPerEpisode && grid.Queries == spec.Queries, $"{spec.Queries} {(spec.QueriesPerEpisode ? "queries per episode" : "queries per class")}");
        Same(WithinGroup, grid.Mode == spec.Mode, $"{EpisodeSpec.ModeName(spec.Mode)} episodes");
        Same(Seed, grid.Seed == list.Seed, $"seed {list.Seed}");
        Same(Episodes, grid.Episodes == list.Episodes.Count, $"{list.Episodes.Count} episodes");
        return grid.Replaying(list).Validated();
    }

    /// <summary>Whether the option was written on the command line (not just its default).</summary>
    public static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    private static FittedCenter ParseFittedCenter(string text) => text.ToLowerInvariant() switch
    {
        "training" or "training-mean" => FittedCenter.TrainingMean,
        "support" or "support-mean" => FittedCenter.SupportMean,
        _ => throw new UsageException($"--fitted-center values are training and support (got '{text}')"),
    };

    private static T[] ParseList<T>(string text, Func<string, T> parse)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Select(parse).Distinct().ToArray();
    }
}
