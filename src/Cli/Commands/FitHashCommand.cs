using System.CommandLine;
using Lshk.App.Evaluation;
using Lshk.App.Modeling;
using Lshk.Data;
using Lshk.Data.Sources;
using Lshk.Lsh;

namespace Lshk.Cli.Commands;

/// <summary>
/// <c>lshk fit-hash</c>: fits planes of a fitted family (pca, itq), or a codebook of a codebook family (pq, opq), to a model's embeddings of its dataset's training
/// classes and writes a new model file holding them (a new file, since indexes name their model by its checksum).
/// </summary>
internal static class FitHashCommand
{
    public static Command Create()
    {
        var model = HashingOptions.ModelOption();
        var hash = new Option<string>("--hash") { Description = "Fitted family: pca or itq (planes), pq or opq (a product-quantiser codebook)", DefaultValueFactory = _ => "itq" };
        var planes = new Option<int>("--planes") { Description = "Planes (bits per code)", DefaultValueFactory = _ => 64 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the fit (ITQ's start rotation)", DefaultValueFactory = _ => 1UL };
        var data = new Option<string?>("--data") { Description = "Dataset NAME or NAME:PATH (default: the model's training dataset); its training classes are fitted to" };
        var split = new Option<string?>("--split") { Description = "Class split (Omniglot: official or vinyals); default: the one the model was trained under" };
        var output = new Option<string>("--out") { Description = "The new model file (.safetensors)", Required = true };
        var source = new DataSourceOptions(download: false);
        var device = CommonOptions.Device();
        var command = new Command("fit-hash", "Fit hash planes (pca, itq) or a codebook (pq, opq) to a model's training classes and store them in a new model file")
        {
            model, hash, planes, seed, data, split, output,
        };
        foreach (var option in source.All) command.Options.Add(option);
        command.Options.Add(device);
        command.SetAction(parse =>
        {
            var family = HashFamilies.Get(parse.GetValue(hash)!);
            if (family.Kind is not (HashFamilyKind.Fitted or HashFamilyKind.Codebook))
                throw new UsageException($"--hash {family.Name}: its planes are {HashFamilies.Describe(family.Kind)}; fit-hash stores planes fitted to training embeddings (pca, itq) or codebooks (pq, opq)");
            UsageException.RequirePositive(parse.GetValue(planes), "--planes");
            var console = Output.Console(parse);
            using var backend = CommonOptions.OpenDevice(parse, device);
            using var embedder = Embedder.Load(parse.GetValue(model)!, backend);
            var spec = DatasetSpec.Parse(parse.GetValue(data) ?? ModelEvaluation.DefaultData(embedder));
            var settings = embedder.Preprocessing.ReadSettings();
            var train = source.Loader(parse, spec, console).LoadFewShot(spec, settings, new SplitOptions(parse.GetValue(split) ?? ModelEvaluation.DefaultSplit(embedder, spec), Rotations: false)).Train
                        ?? throw new Lshk.Core.InputException($"{spec}: the split leaves no training classes to fit planes to");
            string outPath = parse.GetValue(output)!;
            string what = null!;
            AtomicFile.Write(outPath, s => what = ModelCodebooks.FitEither(embedder, train, family, parse.GetValue(planes), parse.GetValue(seed), s));
            Output.Error(parse).WriteLine($"fitted {what} to {train.Count} images of {train.ClassCount} training classes ({train.Source}) → {outPath}");
            return 0;
        });
        return command;
    }
}
