using System.CommandLine;
using Lshk.App.Evaluation;
using Lshk.App.Modeling;
using Lshk.Cli.Evaluation;
using Lshk.Data;
using Lshk.Data.Episodes;
using Lshk.Data.Sources;
using Spectre.Console;

namespace Lshk.Cli.Commands;

/// <summary>
/// <c>lshk eval</c>: a model's few-shot accuracy on a dataset's test classes with every matching method (dense
/// cosine and Euclidean baselines, Hamming and sigmoid LSH at each plane count and hash family), all scored on the
/// same episodes and the same embeddings (the work: <see cref="ModelEvaluation"/>). A folder of models is evaluated
/// model by model on the same episodes (the dataset: --data, else the first model's), into one CSV/JSON/plot.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var options = new EvalOptions();
        return OptionsCommand.Create("eval", "Few-shot accuracy of a model: cosine vs LSH matching on the same episodes", options.All, parse => Run(options, parse));
    }

    private static int Run(EvalOptions options, ParseResult parse)
    {
        var trace = CommandTrace.Start(parse, options.Tracing, "eval");
        var grid = options.Grid(parse);
        var axis = parse.GetValue(options.PlotX) switch
        {
            "planes" => PlotAxis.Planes,
            "shots" => PlotAxis.Shots,
            var other => throw new UsageException($"--plot-x must be planes or shots, not '{other}'"),
        };
        string? episodesFile = parse.GetValue(options.EpisodesFile);
        if (episodesFile is null) grid = grid.Validated();
        var console = Output.Console(parse);
        var log = Output.Error(parse);
        var views = options.Views.Parse(parse);
        string modelPath = parse.GetValue(options.Model)!;
        var models = ModelEvaluation.ModelFiles(modelPath);
        using var backend = trace.Wrap(CommonOptions.OpenDevice(parse, options.Device));
        string? dataText = parse.GetValue(options.Data);
        string? askedSplit = parse.GetValue(options.Split);
        bool onValidation = options.OnValidation(parse);
        DatasetLoader? loader = null;
        var tests = new Dictionary<(PreprocessSettings, string?), Dataset>();
        var heldOut = new Dictionary<(PreprocessSettings, SplitOptions), FewShotData>();
        var runs = new List<EvaluationFiles.ModelRun>();
        var series = new List<EvaluationPlot.Series>();
        foreach (string path in models)
        {
            using var embedder = Embedder.Load(path, backend);
            embedder.Views = views;
            // The first model decides the dataset when --data does not, so every model sees the same classes.
            dataText ??= ModelEvaluation.DefaultData(embedder);
            var spec = DatasetSpec.Parse(dataText);
            loader ??= options.Source.Loader(parse, spec, console);
            var settings = embedder.Preprocessing.ReadSettings();
            string? split = askedSplit ?? ModelEvaluation.DefaultSplit(embedder, spec);
            Dataset test;
            Func<Dataset?> fitTo;
            if (onValidation)
            {
                // The model's held-out classes; fitted planes see only the classes it trained on, not those.
                var splitOptions = ModelEvaluation.ValidationSplit(embedder, path, spec, split);
                if (!heldOut.TryGetValue((settings, splitOptions), out var few)) heldOut[(settings, splitOptions)] = few = loader.LoadFewShot(spec, settings, splitOptions);
                test = few.Validation ?? throw new Lshk.Core.InputException(path, $"{spec} holds no validation classes under the model's split");
                fitTo = () => few.Train;
            }
            else
            {
                if (!tests.TryGetValue((settings, split), out test!)) tests[(settings, split)] = test = loader.LoadTest(spec, settings, split);
                // Fitted planes see the training classes as the model was trained on them, without the rotated copies.
                fitTo = () => loader.LoadFewShot(spec, settings, new SplitOptions(split, Rotations: false)).Train;
            }
            var modelGrid = episodesFile is null ? grid : options.Replaying(parse, grid, EpisodeFile.Load(episodesFile, test), episodesFile);
            var result = ModelEvaluation.Run(embedder, test, modelGrid, backend, log.WriteLine, () =>
                fitTo() ?? throw new Lshk.Core.InputException($"{spec}: the split leaves no training classes to fit planes to"));
            if (models.Count > 1) console.MarkupLineInterpolated($"[bold]{Path.GetFileName(path)}[/]");
            console.Write(EvaluationTable.Build(result));
            // With a trace, the time and memory per support of each method, as the evaluation measured them.
            if (trace.On) console.Write(EvaluationCostTable.Build(result));
            runs.Add(new EvaluationFiles.ModelRun(result, EvaluationFiles.ModelColumns(path, embedder, dataText, split, onValidation)));
            series.Add(new EvaluationPlot.Series(models.Count > 1 ? Path.GetFileNameWithoutExtension(path) : "", result));
        }

        if (parse.GetValue(options.Csv) is { } csvPath) EvaluationFiles.WriteCsv(csvPath, runs);
        if (parse.GetValue(options.Json) is { } jsonPath) EvaluationFiles.WriteJson(jsonPath, runs);
        if (parse.GetValue(options.Plot) is { } plotPath)
        {
            var first = runs[0].Result.Grid;
            string what = first.Replay is not null ? $"{first.Episodes} episodes of {Path.GetFileName(episodesFile)}" : $"{first.Episodes} episodes";
            EvaluationPlot.Write(plotPath, series, $"{what} ({Path.GetFileName(Path.TrimEndingDirectorySeparator(modelPath))})", axis);
        }
        trace.Finish();
        return 0;
    }
}
