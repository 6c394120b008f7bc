using System.Globalization;
using Lshk.Core;

namespace Lshk.App.Training;

/// <summary>One validation of a run: its episode, the seconds of training until then, and an accuracy per task.</summary>
public sealed record ValidationPoint(long Episode, double Seconds, double[] Accuracy);

/// <summary>
/// The validation curve of a run, read back from its <see cref="TrainLog"/> CSV (<c>lshk train --log</c>): the rows
/// that ended with a validation, and the names of the tasks validated (e.g. "5-way 1-shot").
/// </summary>
public sealed record TrainCurve(string Source, IReadOnlyList<string> Tasks, IReadOnlyList<ValidationPoint> Points)
{
    private const string ValidationPrefix = "val_";

    /// <summary>Reads a log; a file that is not one is an <see cref="InputException"/> naming it (and the line).</summary>
    public static TrainCurve Read(string path)
    {
        if (!File.Exists(path)) throw new InputException(path, "no such training log");
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) throw new InputException(path, "empty file, not a training log");
        var header = lines[0].Split(',');
        int episode = Array.IndexOf(header, "episode"), seconds = Array.IndexOf(header, "seconds");
        if (episode < 0 || seconds < 0)
            throw new InputException(path, "not a training log (its header has no episode and seconds columns)");
        var columns = Enumerable.Range(0, header.Length).Where(i => header[i].StartsWith(ValidationPrefix, StringComparison.Ordinal)).ToArray();
        if (columns.Length == 0) throw new InputException(path, "the run was never validated (its header has no val_ columns)");
        var tasks = columns.Select(i => TaskName(header[i])).ToArray();
        var points = new List<ValidationPoint>();
        for (int l = 1; l < lines.Length; l++)
        {
            if (lines[l].Length == 0) continue;
            var cells = lines[l].Split(',');
            if (cells.Length != header.Length)
                throw new InputException(path, $"line {l + 1} has {cells.Length} values, the header {header.Length}");
            if (columns.All(i => cells[i].Length == 0)) continue;   // an interval that ended without a validation
            double Number(int i) => double.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
                ? v : throw new InputException(path, $"line {l + 1}: {header[i]} '{cells[i]}' is not a number");
            points.Add(new ValidationPoint((long)Number(episode), Number(seconds), columns.Select(Number).ToArray()));
        }
        if (points.Count == 0) throw new InputException(path, "no validated interval yet");
        return new TrainCurve(path, tasks, points);
    }

    // val_20way_1shot → "20-way 1-shot" (the inverse of TrainLog's header).
    private static string TaskName(string column) =>
        column[ValidationPrefix.Length..].Replace("way_", "-way ").Replace("shot", "-shot");
}
