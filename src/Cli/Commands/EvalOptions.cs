using System.CommandLine;
using Lshk.App.Evaluation;
using Lshk.Data.Episodes;
using Lshk.Lsh;

namespace Lshk.Cli.Commands;

/// <summary>The options of <c>lshk eval</c>.</summary>
internal sealed class EvalOptions
{
    public Option<string> Model { get; } = new("--model") { Description = "Model file (.safetensors) to evaluate", Required = true };
    public Option<string?> Data { get; } = new("--data") { Description = "Dataset NAME or NAME:PATH (default: the model's training dataset, else omniglot); its test classes are used" };
    public Option<int[]> Ways { get; } = CommonOptions.IntList("--ways", "N: classes per episode (comma-separated)", 5, 20);
    public Option<int[]> Shots { get; } = CommonOptions.IntList("--shots", "K: support images per class (comma-separated)", 1, 5);
    public Option<int[]> Planes { get; } = CommonOptions.IntList("--planes", "Hash planes (bits per code), comma-separated", 16, 32, 64, 128);
    public Option<string> Hash { get; } = new("--hash") { Description = $"Hash families (comma-separated): {string.Join(", ", HashFamilies.Names)}", DefaultValueFactory = _ => "gaussian,uniform,integer" };
    public Option<string?> Methods { get; } = new("--methods") { Description = "Matching methods (default all but asymmetric): cosine, cosine-mean, euclidean-mean, hamming, hamming-proto, sigmoid, asymmetric" };
    public Option<int> Episodes { get; } = new("--episodes") { Description = "Episodes per (ways, shots)", DefaultValueFactory = _ => 1000 };
    public Option<int> Queries { get; } = new("--queries") { Description = "Query images per class", DefaultValueFactory = _ => 15 };
    public Option<bool> WithinGroup { get; } = new("--within-group") { Description = "Draw all N classes of an episode from one group (one Omniglot alphabet)" };
    public Option<string> Center { get; } = new("--center") { Description = "on: subtract the episode's support mean before hashing; off: hash the embeddings as they are", DefaultValueFactory = _ => "on" };
    public Option<ulong> Seed { get; } = new("--seed") { Description = "Seed of the episodes and the planes", DefaultValueFactory = _ => 1UL };
    public Option<int> Threads { get; } = new("--threads") { Description = "Episodes evaluated at once on the CPU (0: one per core); results do not depend on it", DefaultValueFactory = _ => 0 };
    public Option<string?> Csv { get; } = new("--csv") { Description = "Write one CSV row per (ways, shots, hash, planes, method)" };
    public Option<string?> Json { get; } = new("--json") { Description = "Write the results as JSON" };
    public Option<string?> Plot { get; } = new("--plot") { Description = "Write a PNG plot: accuracy against planes per (ways, shots)" };
    public Option<string?> Split { get; } = new("--split") { Description = "Class split of datasets other than Omniglot (see lshk data episodes)" };
    public DataSourceOptions Source { get; } = new DataSourceOptions(download: false);
    public Option<string> Device { get; } = CommonOptions.Device();

    public IEnumerable<Option> All =>
    [
        Model, Data, Ways, Shots, Planes, Hash, Methods, Episodes, Queries, WithinGroup, Center, Seed, Threads, Csv, Json, Plot, Split,
        .. Source.All, Device,
    ];

    /// <summary>The episodes, planes and methods asked for.</summary>
    public EvaluationGrid Grid(ParseResult parse) =>
        new EvaluationGrid(parse.GetValue(Ways)!, parse.GetValue(Shots)!, parse.GetValue(Planes)!,
            ParseList(parse.GetValue(Hash)!, name => HashFamilies.Get(name)), parse.GetValue(Episodes), parse.GetValue(Queries),
            parse.GetValue(WithinGroup) ? EpisodeMode.WithinGroup : EpisodeMode.Unstructured,
            CommonOptions.ParseOnOff(parse.GetValue(Center)!, "--center"), parse.GetValue(Seed), Threads: parse.GetValue(Threads))
        {
            Methods = parse.GetValue(Methods) is { } m ? ParseList(m, MatchMethods.Parse) : MatchMethods.Default,
        }.Validated();

    private static T[] ParseList<T>(string text, Func<string, T> parse)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Select(parse).Distinct().ToArray();
    }
}
