using System.CommandLine;
using Lshk.App.Evaluation;
using Lshk.App.Modeling;
using Lshk.Cli.Evaluation;
using Lshk.Data.Sources;

namespace Lshk.Cli.Commands;

/// <summary>
/// <c>lshk eval</c>: a model's few-shot accuracy on a dataset's test classes with every matching method (dense
/// cosine and Euclidean baselines, Hamming and sigmoid LSH at each plane count and hash family), all scored on the
/// same episodes and the same embeddings (the work: <see cref="ModelEvaluation"/>).
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
        var grid = options.Grid(parse);
        var console = Output.Console(parse);
        var log = Output.Error(parse);
        string modelPath = parse.GetValue(options.Model)!;
        using var backend = CommonOptions.OpenDevice(parse, options.Device);
        using var embedder = Embedder.Load(modelPath, backend);
        string dataText = parse.GetValue(options.Data) ?? ModelEvaluation.DefaultData(embedder);
        var spec = DatasetSpec.Parse(dataText);
        var loader = options.Source.Loader(parse, spec, console);
        var settings = embedder.Preprocessing.ReadSettings();
        string? split = parse.GetValue(options.Split);
        var test = loader.LoadTest(spec, settings, split);
        // Fitted planes see the training classes as the model was trained on them, without the rotated copies.
        var result = ModelEvaluation.Run(embedder, test, grid, backend, log.WriteLine, () =>
            loader.LoadFewShot(spec, settings, new SplitOptions(split, Rotations: false)).Train
            ?? throw new Lshk.Core.InputException($"{spec}: the split leaves no training classes to fit planes to"));
        console.Write(EvaluationTable.Build(result));

        var modelColumns = EvaluationFiles.ModelColumns(modelPath, embedder, dataText);
        if (parse.GetValue(options.Csv) is { } csvPath) EvaluationFiles.WriteCsv(csvPath, result, modelColumns);
        if (parse.GetValue(options.Json) is { } jsonPath) EvaluationFiles.WriteJson(jsonPath, result, modelColumns);
        if (parse.GetValue(options.Plot) is { } plotPath)
            EvaluationPlot.Write(plotPath, result, $"{grid.Episodes} episodes ({Path.GetFileName(modelPath)})");
        return 0;
    }
}
