using Lshk.App.Evaluation;

namespace Lshk.Cli.Evaluation;

/// <summary>
/// The name a hashing configuration goes by in tables and plots: its family, with the centre added when the same
/// family was evaluated with more than one centre (fitted planes through the training and the support mean).
/// </summary>
internal sealed class HashSeries
{
    private readonly HashSet<string> _multiCentered;

    public HashSeries(IEnumerable<EvaluationRow> rows) =>
        _multiCentered = rows.Where(r => r.Planes > 0).GroupBy(r => r.Hash)
            .Where(g => g.Select(r => r.Center).Distinct().Count() > 1).Select(g => g.Key).ToHashSet();

    public string Label(EvaluationRow row) => _multiCentered.Contains(row.Hash) ? $"{row.Hash} ({row.Center})" : row.Hash;
}
