using ScottPlot;
using Lshk.Data;
using Lshk.App.Evaluation;
using Lshk.Lsh;

namespace Lshk.Cli.Evaluation;

/// <summary>What the plot's horizontal axis shows.</summary>
public enum PlotAxis
{
    /// <summary>The plane count (log scale), a panel per (ways, shots); dense methods are horizontal lines.</summary>
    Planes,
    /// <summary>The supports per class, a panel per ways; a line per dense method and per (hashed method, family, planes).</summary>
    Shots,
}

/// <summary>
/// The evaluation as a PNG (ScottPlot 5): one panel per task, accuracy with 95% interval bands for each hashed method
/// and hash family, the dense baselines (cosine solid, the Euclidean class-mean rule dashed), for every model given
/// (a folder of models: the legend names the model). The rows of the fresh or replayed episodes are drawn; the
/// fixed-support rows stay in the CSV.
/// </summary>
public static class EvaluationPlot
{
    private static readonly Dictionary<string, ScottPlot.Color> MethodColors = new()
    {
        ["hamming"] = ScottPlot.Colors.RoyalBlue,
        ["hamming-proto"] = ScottPlot.Colors.DarkOrange,
        ["sigmoid"] = ScottPlot.Colors.SeaGreen,
        ["asymmetric"] = ScottPlot.Colors.Purple,
        ["cosine"] = ScottPlot.Colors.Black,
        ["cosine-mean"] = ScottPlot.Colors.Brown,
        ["euclidean-mean"] = ScottPlot.Colors.Gray,
    };

    private static readonly ScottPlot.LinePattern[] Patterns =
        [ScottPlot.LinePattern.Solid, ScottPlot.LinePattern.Dashed, ScottPlot.LinePattern.Dotted, ScottPlot.LinePattern.DenselyDashed];

    /// <summary>The dense methods drawn as baselines.</summary>
    private static readonly string[] Baselines = ["cosine", "euclidean-mean"];

    /// <summary>One model's evaluation and the name the legend gives it (empty for a single model).</summary>
    public sealed record Series(string Model, EvaluationResult Result);

    /// <summary>One model's evaluation, accuracy against planes.</summary>
    public static void Write(string path, EvaluationResult result, string title) => Write(path, [new Series("", result)], title, PlotAxis.Planes);

    public static void Write(string path, IReadOnlyList<Series> models, string title, PlotAxis axis)
    {
        var rows = models.SelectMany(m => m.Result.Rows).Where(r => r.Protocol != EvaluationProtocol.FixedSupport).ToList();
        var panels = axis == PlotAxis.Planes
            ? rows.Select(r => (r.Ways, Shots: r.Shots)).Distinct().ToList()
            : rows.Select(r => (r.Ways, Shots: 0)).Distinct().ToList();
        int columns = Math.Min(2, panels.Count), rowsOfPanels = (panels.Count + columns - 1) / columns;
        var multiplot = new ScottPlot.Multiplot();
        multiplot.AddPlots(panels.Count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rowsOfPanels, columns);
        for (int i = 0; i < panels.Count; i++)
        {
            var plot = multiplot.GetPlot(i);
            var (ways, shots) = panels[i];
            if (axis == PlotAxis.Planes) DrawAgainstPlanes(plot, models, ways, shots);
            else DrawAgainstShots(plot, models, ways);
            plot.Axes.Left.Label.Text = "accuracy (%)";
            plot.Axes.Title.Label.Text = axis == PlotAxis.Planes ? $"{ways}-way {shots}-shot, {title}" : $"{ways}-way, {title}";
            plot.Axes.Title.Label.FontSize = 15;
            plot.ShowLegend(ScottPlot.Edge.Right);
        }
        byte[] png = multiplot.Render(880 * columns, 520 * rowsOfPanels).GetImageBytes(ScottPlot.ImageFormat.Png);
        AtomicFile.Write(path, s => s.Write(png));
    }

    private static IEnumerable<EvaluationRow> Task(Series model, int ways, int shots) =>
        model.Result.Rows.Where(r => r.Protocol != EvaluationProtocol.FixedSupport && r.Ways == ways && (shots == 0 || r.Shots == shots));

    private static bool Hashed(string method) => MatchMethods.Parse(method).UsesPlanes();

    private static string Legend(Series model, string what) => model.Model.Length == 0 ? what : $"{model.Model}: {what}";

    /// <summary>A colour per method, shaded per model so that several models' lines of one method stay apart.</summary>
    private static ScottPlot.Color ColorOf(string method, int model) =>
        (MethodColors.TryGetValue(method, out var c) ? c : ScottPlot.Colors.Teal).Darken(Math.Min(0.8, 0.2 * model));

    private static void DrawAgainstPlanes(ScottPlot.Plot plot, IReadOnlyList<Series> models, int ways, int shots)
    {
        var planes = models.SelectMany(m => Task(m, ways, shots)).Where(r => r.Planes > 0).Select(r => r.Planes).Distinct().Order().ToArray();
        double[] xs = planes.Select(p => Math.Log2(p)).ToArray();
        for (int m = 0; m < models.Count; m++)
        {
            var rows = Task(models[m], ways, shots).ToList();
            var series = new HashSeries(rows);
            var families = rows.Where(r => r.Planes > 0).Select(series.Label).Distinct().ToList();
            foreach (var method in rows.Where(r => Hashed(r.Method)).Select(r => r.Method).Distinct())
                for (int f = 0; f < families.Count; f++)
                {
                    var line = PointsOf(rows, planes, r => series.Label(r) == families[f] && r.Method == method);
                    if (line.Length == 0) continue;
                    AddLine(plot, line.Select(point => xs[point.Column]).ToArray(), line.Select(point => point.Row).ToArray(),
                        ColorOf(method, m), Patterns[f % Patterns.Length], Legend(models[m], $"{method}, {families[f]}"));
                }
            for (int b = 0; b < Baselines.Length; b++)
                if (rows.FirstOrDefault(r => r.Method == Baselines[b]) is { } row)
                {
                    var hline = plot.Add.HorizontalLine(100 * row.Mean, 1.5f, ColorOf(Baselines[b], m), Patterns[b]);
                    hline.LegendText = Legend(models[m], $"{Baselines[b]} {100 * row.Mean:F1} ± {100 * row.Ci95:F1}%");
                }
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(xs, planes.Select(p => p.ToString()).ToArray());
        plot.Axes.Bottom.Label.Text = "planes (bits per code)";
    }

    private static void DrawAgainstShots(ScottPlot.Plot plot, IReadOnlyList<Series> models, int ways)
    {
        var shots = models.SelectMany(m => Task(m, ways, 0)).Select(r => r.Shots).Distinct().Order().ToArray();
        double[] xs = shots.Select(s => (double)s).ToArray();
        for (int m = 0; m < models.Count; m++)
        {
            var rows = Task(models[m], ways, 0).ToList();
            // A dense method's figures repeat in every hashing configuration: one line each, from its first rows.
            foreach (var method in rows.Where(r => Baselines.Contains(r.Method)).Select(r => r.Method).Distinct())
            {
                var line = shots.Select(s => rows.FirstOrDefault(r => r.Method == method && r.Shots == s)).ToArray();
                if (line.Any(r => r is null)) continue;
                AddLine(plot, xs, line!, ColorOf(method, m), Patterns[Array.IndexOf(Baselines, method)], Legend(models[m], method));
            }
            var series = new HashSeries(rows);
            var configs = rows.Where(r => Hashed(r.Method)).Select(r => (r.Method, Hash: series.Label(r), r.Planes)).Distinct().ToList();
            var families = configs.Select(c => c.Hash).Distinct().ToList();
            var planeCounts = configs.Select(c => c.Planes).Distinct().Order().ToList();
            // The line pattern tells plane counts apart; a lighter shade of the method's colour, hash families.
            foreach (var (method, hash, planes) in configs)
            {
                var line = shots.Select(s => rows.FirstOrDefault(r => r.Method == method && series.Label(r) == hash && r.Planes == planes && r.Shots == s)).ToArray();
                if (line.Any(r => r is null)) continue;
                AddLine(plot, xs, line!, ColorOf(method, m).Lighten(0.3 * families.IndexOf(hash)),
                    Patterns[planeCounts.IndexOf(planes) % Patterns.Length], Legend(models[m], $"{method}, {hash}, {planes} planes"));
            }
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(xs, shots.Select(s => s.ToString()).ToArray());
        plot.Axes.Bottom.Label.Text = "supports per class (shots)";
    }

    /// <summary>
    /// The rows of one line, in the order of <paramref name="planes"/> (the panel's columns), with the column each
    /// stands at. A family evaluated at only some lengths (a trained layer has one: `--hash learned` at its 64 bits
    /// beside ITQ at 16–256) is drawn at those, a single one as a lone marker, rather than left out.
    /// </summary>
    internal static (int Column, EvaluationRow Row)[] PointsOf(IReadOnlyList<EvaluationRow> rows, int[] planes, Func<EvaluationRow, bool> ofLine) =>
        planes.Select((p, column) => (Column: column, Row: rows.FirstOrDefault(r => r.Planes == p && ofLine(r))))
            .Where(point => point.Row is not null).Select(point => (point.Column, point.Row!)).ToArray();

    /// <summary>A line of mean accuracies with its 95% interval as a band.</summary>
    private static void AddLine(ScottPlot.Plot plot, double[] xs, EvaluationRow[] line, ScottPlot.Color color,
        ScottPlot.LinePattern pattern, string legend)
    {
        double[] mean = line.Select(r => 100 * r.Mean).ToArray();
        var band = plot.Add.FillY(xs, line.Select(r => 100 * r.Low).ToArray(), line.Select(r => 100 * r.High).ToArray());
        band.FillStyle.Color = color.WithAlpha(0.15);
        band.LineStyle.Width = 0;
        var scatter = plot.Add.Scatter(xs, mean, color);
        scatter.LinePattern = pattern;
        scatter.LineWidth = 2;
        scatter.MarkerSize = 6;
        scatter.LegendText = legend;
    }
}
