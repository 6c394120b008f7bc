using System.Globalization;
using Spectre.Console;
using Lshk.App.Evaluation;

namespace Lshk.Cli.Evaluation;

/// <summary>
/// What each method costs per support, from the evaluation's own measurements (the rows' bytes per support and their
/// per-episode hash and match times): one line per (task, method, hash, planes). Hashing is shared by an episode's
/// supports and queries, so it is given per image hashed; matching compares every query with every support, so it is
/// given per support and query. The dense methods do not hash and appear once per task.
/// </summary>
public static class EvaluationCostTable
{
    private const double MicrosecondsPerMs = 1e3, NanosecondsPerMs = 1e6;

    public static Table Build(EvaluationResult result)
    {
        var table = new Table().Title("time and memory per support")
            .AddColumns("task", "method", "hash", "planes")
            .AddColumn(new TableColumn("bytes / support").RightAligned())
            .AddColumn(new TableColumn("hash µs / image").RightAligned())
            .AddColumn(new TableColumn("match ns / support·query").RightAligned());
        var seenDense = new HashSet<(int, int, string, string)>();
        var series = new HashSeries(result.Rows);
        foreach (var r in result.Rows)
        {
            bool dense = r.Planes == 0 || r.Method is "cosine" or "cosine-mean" or "euclidean-mean";
            if (dense && !seenDense.Add((r.Ways, r.Shots, r.Protocol, r.Method))) continue;
            int supports = r.Ways * r.Shots;
            string task = $"{r.Ways}-way {r.Shots}-shot" + (r.Protocol == EvaluationProtocol.FixedSupport ? ", fixed support" : "");
            table.AddRow(Markup.Escape(task), Markup.Escape(r.Method), dense ? "-" : Markup.Escape(series.Label(r)),
                dense ? "-" : r.Planes.ToString(CultureInfo.InvariantCulture),
                r.BytesPerSupport.ToString(CultureInfo.InvariantCulture),
                dense ? "-" : Format(r.HashMs * MicrosecondsPerMs / (supports + r.Queries)),
                Format(r.MatchMs * NanosecondsPerMs / ((double)supports * Math.Max(1, r.Queries))));
        }
        return table;
    }

    private static string Format(double value) => value.ToString("F2", CultureInfo.InvariantCulture);
}
