using System.CommandLine;
using Lshk.App.Training;
using Lshk.Cli.Evaluation;
using Spectre.Console;

namespace Lshk.Cli.Commands;

/// <summary>
/// <c>lshk train</c>: trains the embedding network on episodes of a dataset's training classes (Omniglot: the
/// background alphabets with their rotations), validates on held-out training classes, keeps the best model, writes
/// checkpoints it can resume from exactly, and ends with a short cosine-vs-LSH evaluation on the test classes
/// (the work: <see cref="TrainingJob"/>).
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var options = new TrainOptions();
        return OptionsCommand.Create("train", "Train the embedding network on few-shot episodes (--loss), keep the best validated model", options.All, parse => Run(options, parse));
    }

    private static int Run(TrainOptions options, ParseResult parse)
    {
        var trace = CommandTrace.Start(parse, options.Tracing, "train");
        var console = Output.Console(parse);
        var request = options.Read(parse);
        TrainingJob.Settings(request); // bad settings fail before any data is read
        var loader = options.Source.Loader(parse, request.Data, console);
        using var backend = trace.Wrap(CommonOptions.OpenDevice(parse, options.Device));
        ITrainReporter reporter = console.Profile.Capabilities.Interactive ? new LiveReporter(console) : new LineReporter(console);
        var outcome = TrainingJob.Run(request, backend, loader, reporter);
        if (outcome.SummaryNote.Length > 0) console.WriteLine(outcome.SummaryNote);
        if (outcome.Summary is { } summary) console.Write(EvaluationTable.Build(summary));
        trace.Finish();
        return 0;
    }
}
