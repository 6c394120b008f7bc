using Lshk.Data;
using Lshk.Data.Episodes;

namespace Lshk.App.Evaluation;

/// <summary>
/// How the episodes of one (ways, shots) are chosen, and what the interval of a row is over, as the CSV's
/// <c>protocol</c> column names it.
/// </summary>
public static class EvaluationProtocol
{
    /// <summary>lshk's default: <see cref="EvaluationGrid.Episodes"/> episodes drawn from the seed, interval over episodes.</summary>
    public const string Fresh = "fresh-episodes";
    /// <summary>The episodes of a file written by <c>data episodes</c>, interval over episodes.</summary>
    public const string Replayed = "episodes-file";
    /// <summary>The study's constant protocol: one support set and query list, Wilson interval over its queries.</summary>
    public const string FixedSupport = "fixed-support";
}

/// <summary>The episodes one protocol scores for one (ways, shots): <see cref="Count"/> of them, episode i from <see cref="Episode"/>.</summary>
public sealed record EpisodeSource(string Protocol, int Count, Func<int, Episode> Episode)
{
    /// <summary>Whether a row's interval is over the queries of its one episode (Wilson) rather than over episodes.</summary>
    public bool OverQueries => Protocol == EvaluationProtocol.FixedSupport;

    /// <summary>The sources of one (ways, shots): fresh or replayed episodes, then the fixed support set when asked for.</summary>
    public static IReadOnlyList<EpisodeSource> For(Dataset data, EvaluationGrid grid, int ways, int shots)
    {
        EpisodeSource main;
        if (grid.Replay is { } list)
            main = new EpisodeSource(EvaluationProtocol.Replayed, list.Episodes.Count, i => list.Episodes[i]);
        else
        {
            var sampler = new EpisodeSampler(data, grid.Spec(ways, shots), grid.Seed);
            main = new EpisodeSource(EvaluationProtocol.Fresh, grid.Episodes, i => sampler.Sample(i));
        }
        if (!grid.FixedSupport) return [main];
        // The constant protocol's one episode is the first one of the main source: drawn once from the seed (or the
        // file), so the fixed support set is the one the fresh protocol starts with.
        var first = main.Episode(0);
        return [main, new EpisodeSource(EvaluationProtocol.FixedSupport, 1, _ => first)];
    }
}
