using Lshk.App.Training;
using Spectre.Console;

namespace Lshk.Cli.Commands;

/// <summary>Plain lines, one per log interval: for logs and redirected output.</summary>
internal sealed class LineReporter(IAnsiConsole console) : ITrainReporter
{
    public void Episode(long episode, double fraction, float loss, float accuracy, double imagesPerSecond)
    {
    }

    public void Interval(IntervalStats s, long? totalEpisodes, double etaSeconds) =>
        console.WriteLine($"episode {s.Episode}{(totalEpisodes is { } t ? $"/{t}" : "")}  loss {s.Loss:F4}  train accuracy {s.Accuracy:P1}  " +
                          $"{s.ImagesPerSecond:F0} images/s  lr {s.LearningRate:G3}  elapsed {Time(s.Seconds)}  ETA {Time(etaSeconds)}");

    public void Message(string text) => console.WriteLine(text);

    private static string Time(double seconds) =>
        double.IsFinite(seconds) && seconds >= 0 ? TimeSpan.FromSeconds(Math.Round(seconds)).ToString(@"h\:mm\:ss") : "-";
}

/// <summary>A live progress bar on a terminal.</summary>
internal sealed class LiveReporter(IAnsiConsole console) : ITrainReporter
{
    private ProgressTask? _task;

    public void Episode(long episode, double fraction, float loss, float accuracy, double imagesPerSecond)
    {
        if (_task is null) return;
        _task.Description = $"episode {episode}  loss {loss:F3}  acc {accuracy:P1}  {imagesPerSecond:F0} img/s";
        _task.Value = fraction;
    }

    public void Interval(IntervalStats stats, long? totalEpisodes, double etaSeconds)
    {
    }

    public void Message(string text) => console.MarkupLineInterpolated($"{text}");

    public void Train(Action loop) =>
        console.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                _task = ctx.AddTask("training", maxValue: 1.0);
                loop();
                _task.Value = _task.MaxValue;
            });
}
