using ScottPlot;
using Lshk.Data;

using Lshk.App.Evaluation;
using Lshk.Lsh;

namespace Lshk.Cli.Evaluation;

/// <summary>
/// The evaluation as a PNG (ScottPlot 5): one panel per (ways, shots), accuracy against the number of planes
/// (log scale) for each hashed method and hash family, with 95% CI bands; the dense cosine baseline as a
/// horizontal line (the Euclidean class-mean rule dashed).
/// </summary>
public static class EvaluationPlot
{
    private static readonly Dictionary<string, ScottPlot.Color> MethodColors = new()
    {
        ["hamming"] = ScottPlot.Colors.RoyalBlue,
        ["hamming-proto"] = ScottPlot.Colors.DarkOrange,
        ["sigmoid"] = ScottPlot.Colors.SeaGreen,
    };

    private static readonly ScottPlot.LinePattern[] FamilyPatterns =
        [ScottPlot.LinePattern.Solid, ScottPlot.LinePattern.Dashed, ScottPlot.LinePattern.Dotted];

    public static void Write(string path, EvaluationResult result, string title)
    {
        var shapes = result.Rows.Select(r => (r.Ways, r.Shots)).Distinct().ToList();
        var families = result.Rows.Where(r => r.Planes > 0).Select(r => r.Hash).Distinct().ToList();
        int columns = Math.Min(2, shapes.Count), rowsOfPanels = (shapes.Count + columns - 1) / columns;
        var multiplot = new ScottPlot.Multiplot();
        multiplot.AddPlots(shapes.Count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rowsOfPanels, columns);
        for (int i = 0; i < shapes.Count; i++)
            DrawPanel(multiplot.GetPlot(i), result, shapes[i].Ways, shapes[i].Shots, families, title);
        byte[] png = multiplot.Render(880 * columns, 520 * rowsOfPanels).GetImageBytes(ScottPlot.ImageFormat.Png);
        AtomicFile.Write(path, s => s.Write(png));
    }

    private static void DrawPanel(ScottPlot.Plot plot, EvaluationResult result, int ways, int shots, List<string> families,
        string title)
    {
        var rows = result.Rows.Where(r => r.Ways == ways && r.Shots == shots).ToList();
        var planes = rows.Where(r => r.Planes > 0).Select(r => r.Planes).Distinct().Order().ToArray();
        double[] xs = planes.Select(p => Math.Log2(p)).ToArray();
        for (int f = 0; f < families.Count; f++)
            foreach (var (method, color) in MethodColors)
            {
                var line = planes.Select(p => rows.FirstOrDefault(r => r.Hash == families[f] && r.Planes == p && r.Method == method)).ToArray();
                if (line.Any(r => r is null)) continue;
                double[] mean = line.Select(r => 100 * r!.Mean).ToArray();
                double[] ci = line.Select(r => 100 * r!.Ci95).ToArray();
                var band = plot.Add.FillY(xs, mean.Zip(ci, (m, c) => m - c).ToArray(), mean.Zip(ci, (m, c) => m + c).ToArray());
                band.FillStyle.Color = color.WithAlpha(0.15);
                band.LineStyle.Width = 0;
                var scatter = plot.Add.Scatter(xs, mean, color);
                scatter.LinePattern = FamilyPatterns[f % FamilyPatterns.Length];
                scatter.LineWidth = 2;
                scatter.MarkerSize = 6;
                scatter.LegendText = $"{method}, {families[f]}";
            }
        AddBaseline(plot, rows, "cosine", ScottPlot.Colors.Black, ScottPlot.LinePattern.Solid);
        AddBaseline(plot, rows, "euclidean-mean", ScottPlot.Colors.Gray, ScottPlot.LinePattern.Dashed);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(xs, planes.Select(p => p.ToString()).ToArray());
        plot.Axes.Bottom.Label.Text = "planes (bits per code)";
        plot.Axes.Left.Label.Text = "accuracy (%)";
        plot.Axes.Title.Label.Text = $"{ways}-way {shots}-shot, {title}";
        plot.Axes.Title.Label.FontSize = 15;
        plot.ShowLegend(ScottPlot.Edge.Right);
    }

    private static void AddBaseline(ScottPlot.Plot plot, List<EvaluationRow> rows, string method, ScottPlot.Color color,
        ScottPlot.LinePattern pattern)
    {
        var row = rows.FirstOrDefault(r => r.Method == method);
        if (row is null) return;
        var line = plot.Add.HorizontalLine(100 * row.Mean, 1.5f, color, pattern);
        line.LegendText = $"{method} {100 * row.Mean:F1} ± {100 * row.Ci95:F1}%";
    }
}
