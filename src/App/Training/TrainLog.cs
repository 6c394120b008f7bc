using System.Globalization;

namespace Lshk.App.Training;

/// <summary>One interval of training: means over its episodes, and the validation accuracies when it ended with one.</summary>
public sealed record IntervalStats(long Episode, double Seconds, float LearningRate, double Loss, double Accuracy, double ImagesPerSecond,
    double[]? Validation);

/// <summary>
/// The per-interval CSV log of a run (<c>--log</c>): a header, then one row per interval, flushed as it is written.
/// A resumed run first drops the rows after its checkpoint's episode, so the log reads as one uninterrupted run.
/// </summary>
public sealed class TrainLog : IDisposable
{
    private readonly StreamWriter _writer;

    public TrainLog(string path, IReadOnlyList<string> validationTasks, long resumeEpisode)
    {
        string header = "episode,seconds,lr,loss,train_accuracy,images_per_second," +
                        string.Join(",", validationTasks.Select(t => "val_" + t.Replace("-way ", "way_").Replace("-shot", "shot")));
        var keep = new List<string>();
        if (resumeEpisode > 0 && File.Exists(path))
            foreach (string line in File.ReadLines(path).Skip(1))
            {
                int comma = line.IndexOf(',');
                if (comma > 0 && long.TryParse(line[..comma], NumberStyles.None, CultureInfo.InvariantCulture, out long e) && e <= resumeEpisode)
                    keep.Add(line);
            }
        _writer = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        _writer.WriteLine(header);
        foreach (string line in keep) _writer.WriteLine(line);
        Columns = validationTasks.Count;
    }

    private int Columns { get; }

    public void Write(IntervalStats s)
    {
        var c = CultureInfo.InvariantCulture;
        string validation = string.Join(",", Enumerable.Range(0, Columns).Select(i => s.Validation is null ? "" : s.Validation[i].ToString("F4", c)));
        _writer.WriteLine(string.Join(",", s.Episode.ToString(c), s.Seconds.ToString("F2", c), s.LearningRate.ToString("G6", c),
            s.Loss.ToString("F5", c), s.Accuracy.ToString("F4", c), s.ImagesPerSecond.ToString("F1", c)) + (Columns > 0 ? "," + validation : ""));
    }

    public void Dispose() => _writer.Dispose();
}
