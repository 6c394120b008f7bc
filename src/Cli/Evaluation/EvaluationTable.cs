using Spectre.Console;

using Lshk.App.Evaluation;
using Lshk.Lsh;

namespace Lshk.Cli.Evaluation;

/// <summary>
/// The evaluation as a terminal table: one line per (shape, protocol, method, hash family), a column per plane count.
/// Fixed-support rows say so in the task column; their ± is the half-width of the Wilson interval over the queries.
/// </summary>
public static class EvaluationTable
{
    public static Table Build(EvaluationResult result)
    {
        var planes = result.Rows.Where(r => r.Planes > 0).Select(r => r.Planes).Distinct().Order().ToArray();
        var table = new Table().AddColumns("task", "method", "hash");
        if (planes.Length == 0) table.AddColumn(new TableColumn("accuracy %").RightAligned());
        foreach (int p in planes) table.AddColumn(new TableColumn($"{p} planes").RightAligned());
        var series = new HashSeries(result.Rows);
        foreach (var shape in result.Rows.GroupBy(r => (r.Ways, r.Shots, r.Protocol)))
        {
            string name = $"{shape.Key.Ways}-way {shape.Key.Shots}-shot" +
                          (shape.Key.Protocol == EvaluationProtocol.FixedSupport ? $", fixed support ({shape.First().Queries} queries)" : "");
            foreach (var method in shape.GroupBy(r => r.Method))
            {
                bool dense = method.All(r => r.Method is "cosine" or "cosine-mean" or "euclidean-mean");
                var byHash = dense ? method.GroupBy(_ => "-") : method.GroupBy(series.Label);
                foreach (var hash in byHash)
                {
                    var cells = new List<string> { name, method.Key, hash.Key };
                    if (planes.Length == 0) cells.Add(Cell(hash.First()));
                    foreach (int p in planes)
                    {
                        var row = hash.FirstOrDefault(r => r.Planes == p);
                        cells.Add(row is null ? "" : Cell(row));
                    }
                    table.AddRow(cells.Select(Markup.Escape).ToArray());
                }
            }
        }
        return table;
    }

    private static string Cell(EvaluationRow r) => $"{100 * r.Mean:F1} ± {100 * r.Ci95:F1}";
}
