using ScottPlot;
using Lshk.App.Training;
using Lshk.Data;

namespace Lshk.Cli.Training;

/// <summary>What the training-curve plot's horizontal axis shows.</summary>
public enum CurveAxis
{
    /// <summary>Minutes of training (the log's seconds column: wall time spent training, validation excluded).</summary>
    Minutes,
    /// <summary>Training episodes.</summary>
    Episodes,
}

/// <summary>
/// Validation accuracy of one or more training runs (their <c>--log</c> CSVs) as a PNG (ScottPlot 5): a panel per
/// validated task, a line per run, against minutes or episodes, so recipes are compared in time and in work.
/// </summary>
public static class TrainCurvePlot
{
    private const int PanelWidth = 760, PanelHeight = 480;
    private const float LineWidth = 2;
    private const int MarkerSize = 6;

    /// <summary>One run and the name the legend gives it.</summary>
    public sealed record Run(string Name, TrainCurve Curve);

    public static void Write(string path, IReadOnlyList<Run> runs, CurveAxis axis, string title)
    {
        var tasks = runs.SelectMany(r => r.Curve.Tasks).Distinct().ToList();
        var multiplot = new ScottPlot.Multiplot();
        multiplot.AddPlots(tasks.Count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(1, tasks.Count);
        for (int t = 0; t < tasks.Count; t++)
        {
            var plot = multiplot.GetPlot(t);
            for (int r = 0; r < runs.Count; r++)
            {
                int column = runs[r].Curve.Tasks.ToList().IndexOf(tasks[t]);
                if (column < 0) continue;
                var points = runs[r].Curve.Points;
                double[] xs = points.Select(p => axis == CurveAxis.Minutes ? p.Seconds / 60 : p.Episode).ToArray();
                double[] ys = points.Select(p => 100 * p.Accuracy[column]).ToArray();
                var line = plot.Add.Scatter(xs, ys, ScottPlot.Palette.Default.GetColor(r));
                line.LineWidth = LineWidth;
                line.MarkerSize = MarkerSize;
                line.LegendText = $"{runs[r].Name}: {ys[^1]:F1} % at {(axis == CurveAxis.Minutes ? $"{xs[^1]:F0} min" : $"{xs[^1]:F0} episodes")}";
            }
            plot.Axes.Bottom.Label.Text = axis == CurveAxis.Minutes ? "minutes of training" : "training episodes";
            plot.Axes.Left.Label.Text = "validation accuracy (%)";
            plot.Axes.Title.Label.Text = $"{tasks[t]}, {title}";
            plot.ShowLegend(ScottPlot.Edge.Bottom);
        }
        byte[] png = multiplot.Render(PanelWidth * tasks.Count, PanelHeight).GetImageBytes(ScottPlot.ImageFormat.Png);
        AtomicFile.Write(path, s => s.Write(png));
    }
}
