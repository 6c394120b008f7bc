using System.CommandLine;
using Lshk.App.Training;
using Lshk.Cli.Training;

namespace Lshk.Cli.Commands;

/// <summary><c>lshk plot-log</c>: the validation curves of training runs (their <c>--log</c> CSVs) as one PNG.</summary>
internal static class PlotLogCommand
{
    public static Command Create()
    {
        var logs = new Argument<string[]>("logs") { Description = "Training logs (lshk train --log), one line each", Arity = ArgumentArity.OneOrMore };
        var names = new Option<string?>("--names") { Description = "Legend names, comma-separated, one per log (default: the file names)" };
        var axis = new Option<string>("--x") { Description = "minutes (of training) or episodes", DefaultValueFactory = _ => "minutes" };
        var title = new Option<string>("--title") { Description = "Added to each panel's title", DefaultValueFactory = _ => "validation" };
        var output = new Option<string>("--out") { Description = "PNG file to write", Required = true };
        var command = new Command("plot-log", "Plot validation accuracy against training time or episodes from lshk train --log files")
        {
            logs, names, axis, title, output,
        };
        command.SetAction(parse =>
        {
            var files = parse.GetValue(logs)!;
            var labels = parse.GetValue(names) is { } n
                ? n.Split(',', StringSplitOptions.TrimEntries)
                : files.Select(Path.GetFileNameWithoutExtension).ToArray()!;
            if (labels.Length != files.Length)
                throw new UsageException($"--names gives {labels.Length} names for {files.Length} logs");
            var x = parse.GetValue(axis) switch
            {
                "minutes" => CurveAxis.Minutes,
                "episodes" => CurveAxis.Episodes,
                var other => throw new UsageException($"--x must be minutes or episodes, not '{other}'"),
            };
            var runs = files.Select((f, i) => new TrainCurvePlot.Run(labels[i]!, TrainCurve.Read(f))).ToList();
            string path = parse.GetValue(output)!;
            TrainCurvePlot.Write(path, runs, x, parse.GetValue(title)!);
            foreach (var run in runs)
            {
                var last = run.Curve.Points[^1];
                Output.Error(parse).WriteLine($"{run.Name}: {run.Curve.Points.Count} validations, the last at episode {last.Episode} " +
                    $"({last.Seconds / 60:F1} min): " + string.Join(", ", run.Curve.Tasks.Select((t, i) => $"{t} {100 * last.Accuracy[i]:F1} %")));
            }
            Output.Error(parse).WriteLine($"wrote {path}");
            return 0;
        });
        return command;
    }
}
