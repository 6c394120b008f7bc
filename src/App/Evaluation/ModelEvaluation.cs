using System.Diagnostics;
using Lshk.App.Modeling;
using Lshk.Data;
using Lshk.Data.Datasets;
using Lshk.Kernels;
using Lshk.Lsh;

namespace Lshk.App.Evaluation;

/// <summary><c>lshk eval</c>'s work: a model's embeddings of a dataset's test classes, scored by every method of a grid.</summary>
public static class ModelEvaluation
{
    /// <summary>The dataset a model is evaluated on unless told otherwise: the one it was trained on, else the first built-in one.</summary>
    public static string DefaultData(Embedder embedder) =>
        embedder.Metadata.TryGetValue(MetadataKeys.Data, out var data) ? data : DatasetRegistry.BuiltIn[0].Id;

    /// <summary>
    /// The class split a model is evaluated (or fitted) under unless told otherwise: the one it was trained under
    /// (<c>lshk.train.split</c>) when <paramref name="spec"/> is the dataset it was trained on, so its test classes are
    /// the ones its training left out; else null, the dataset's default.
    /// </summary>
    public static string? DefaultSplit(Embedder embedder, Lshk.Data.Sources.DatasetSpec spec) =>
        embedder.Metadata.TryGetValue(MetadataKeys.Train.Split, out var split)
        && embedder.Metadata.TryGetValue(MetadataKeys.Data, out var data)
        && Lshk.Data.Sources.DatasetSpec.Parse(data).Id == spec.Id
            ? split
            : null;

    /// <summary>
    /// The split that holds out the classes a model validated on while it trained: its split, with the count and seed
    /// of held-out classes its file records, and the rotated copies left out (they are for training). Scoring a model
    /// on those classes chooses evaluation settings (views, planes) without looking at the test classes. Bad input
    /// when the model was trained on another dataset or held out no classes.
    /// </summary>
    public static Lshk.Data.Sources.SplitOptions ValidationSplit(Embedder embedder, string path, Lshk.Data.Sources.DatasetSpec spec, string? split)
    {
        string Meta(string key) => embedder.Metadata.TryGetValue(key, out var v) ? v : "";
        if (!embedder.Metadata.TryGetValue(MetadataKeys.Data, out var data) || Lshk.Data.Sources.DatasetSpec.Parse(data).Id != spec.Id)
            throw new Lshk.Core.InputException(path, $"the model was not trained on {spec.Id}, so it has no validation classes there");
        if (!int.TryParse(Meta(MetadataKeys.Train.ValidationClasses), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int count) || count <= 0)
            throw new Lshk.Core.InputException(path, "the model held out no validation classes while it trained");
        if (!ulong.TryParse(Meta(MetadataKeys.Train.Seed), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong seed))
            throw new Lshk.Core.InputException(path, $"the model file's training seed '{Meta(MetadataKeys.Train.Seed)}' is not a number");
        return new Lshk.Data.Sources.SplitOptions(split, count, seed, Rotations: false);
    }

    /// <summary>The extension of model files, which a folder of models is searched for.</summary>
    public const string ModelExtension = ".safetensors";

    /// <summary>
    /// The models a path names: a file is one model; a folder holds every <c>*.safetensors</c> file directly in it, in
    /// ordinal order of their names (so a run is the same on every machine). A folder without one is bad input.
    /// </summary>
    public static IReadOnlyList<string> ModelFiles(string path)
    {
        if (!Directory.Exists(path)) return [path];
        var files = Directory.GetFiles(path, "*" + ModelExtension).Order(StringComparer.Ordinal).ToArray();
        return files.Length > 0 ? files : throw new Lshk.Core.InputException(path, $"the folder holds no {ModelExtension} model files");
    }

    /// <summary>
    /// Embeds <paramref name="test"/> with the model and runs the grid on it; <paramref name="log"/> hears the progress.
    /// When the grid names a fitted family (pca, itq), <paramref name="training"/> is asked for the dataset's training
    /// classes (for Omniglot the background alphabets), whose embeddings alone the planes are fitted to.
    /// </summary>
    public static EvaluationResult Run(Embedder embedder, Dataset test, EvaluationGrid grid, IComputeBackend backend, Action<string> log,
        Func<Dataset>? training = null)
    {
        var c = embedder.Config;
        if (test.Channels != c.InputChannels || test.Height != c.InputSize || test.Width != c.InputSize)
            throw new InvalidDataException($"{embedder.Source}: the model takes {c.InputChannels}×{c.InputSize}×{c.InputSize} images but {test.Source} has {test.Channels}×{test.Height}×{test.Width}");
        foreach (int ways in grid.Ways)
            if (ways > test.ClassCount)
                throw new SettingException("ways", $"{ways} is more than the {test.ClassCount} test classes of {test.Source}");

        var watch = Stopwatch.StartNew();
        float[] embeddings = embedder.Embed(test);
        string views = embedder.Views is { Count: > 1 } v ? $", each the mean of {v.Count} views ({v.Distortion.Describe()})" : "";
        log($"embedded {test.Count} images of {test.ClassCount} classes ({test.Source}{views}) in {watch.Elapsed.TotalSeconds:F1} s on {backend.Device.Name}");
        float[]? trainingEmbeddings = null;
        var stored = ModelPlanes.Of(embedder);
        var storedCodebook = ModelCodebooks.Of(embedder);
        var toFit = grid.Families.Where(f => (f.Kind == HashFamilyKind.Fitted && grid.Planes.Any(p => !HashConfig.Stores(stored, f, p)))
            || (f.Kind == HashFamilyKind.Codebook && grid.Planes.Any(p => !HashConfig.StoresCodebook(storedCodebook, f, p)))).ToArray();
        if (stored is not null) log($"the model stores {stored.Count} {stored.Family.Name} planes: used for {stored.Family.Name} at {stored.Count} planes");
        if (storedCodebook is not null) log($"the model stores a {storedCodebook.Bits}-bit {storedCodebook.Family.Name} codebook: used for {storedCodebook.Family.Name} at {storedCodebook.Bits} bits");
        if (grid.Methods.Any(m => m.UsesPlanes()) && toFit.Length > 0)
        {
            var train = training?.Invoke() ?? throw new SettingException("hash",
                $"fitted families ({string.Join(", ", toFit.Select(f => f.Name))}) need the training classes of the model's dataset, and none are available");
            watch.Restart();
            trainingEmbeddings = embedder.Embed(train);
            log($"embedded {train.Count} training images of {train.ClassCount} classes ({train.Source}) to fit planes in {watch.Elapsed.TotalSeconds:F1} s");
        }
        var result = EvaluationRunner.Run(embeddings, embedder.Dim, test, grid, backend, log, trainingEmbeddings, stored, storedCodebook);
        log($"evaluated in {result.Seconds:F1} s");
        return result;
    }
}
