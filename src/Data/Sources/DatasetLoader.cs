using System.Diagnostics;
using Lshk.Data.Caching;
using Lshk.Data.Datasets;

namespace Lshk.Data.Sources;

/// <summary>One part of a dataset as distributed: Omniglot's background or evaluation set, MNIST's or CIFAR's train or test half.</summary>
public sealed record DatasetPart(string Name, IReadOnlyList<string> SourceFiles, Func<PreprocessSettings, Dataset> Read);

/// <summary>A loaded part, with what the cache did and how long the load took.</summary>
public sealed record LoadedPart(string Name, Dataset Data, CacheState Cache, TimeSpan Time);

/// <summary>
/// Finds a dataset (see <see cref="DataLocations"/>), reads its parts through the cache, and makes the few-shot
/// split (see <see cref="SplitOptions"/>).
/// </summary>
public sealed class DatasetLoader
{
    public DatasetLoader(DataLocations locations, DatasetCache? cache)
    {
        Locations = locations;
        Cache = cache;
    }

    public DataLocations Locations { get; }
    /// <summary>The cache, or null to always read the sources.</summary>
    public DatasetCache? Cache { get; }

    /// <summary>The parts present at the dataset's path.</summary>
    public IReadOnlyList<DatasetPart> Parts(DatasetSpec spec, out string path)
    {
        path = Locations.Resolve(spec);
        return spec.Kind.Parts(path);
    }

    /// <summary>Reads one part, from the cache when it holds these sources and settings.</summary>
    public LoadedPart Load(DatasetSpec spec, DatasetPart part, PreprocessSettings settings)
    {
        settings.Validated();
        var watch = Stopwatch.StartNew();
        if (Cache is null) return new LoadedPart(part.Name, part.Read(settings), CacheState.Off, watch.Elapsed);
        string name = $"{spec.Id}-{part.Name}";
        string key = DatasetCache.Key(name, settings.Key, SourceFingerprint.Of(part.SourceFiles));
        var (data, state) = Cache.GetOrBuild(name, key, () => part.Read(settings));
        return new LoadedPart(part.Name, data, state, watch.Elapsed);
    }

    /// <summary>Every part present.</summary>
    public IReadOnlyList<LoadedPart> LoadAll(DatasetSpec spec, PreprocessSettings settings) =>
        Parts(spec, out _).Select(p => Load(spec, p, settings)).ToArray();

    /// <summary>Training, validation and test classes as the options say (see <see cref="SplitOptions"/>).</summary>
    public FewShotData LoadFewShot(DatasetSpec spec, PreprocessSettings settings, SplitOptions options)
    {
        var loaded = LoadAll(spec, settings);
        var (train, validation, test, split) = spec.Kind.Partition(loaded, options.Split, options.ValidationClasses, options.Seed, spec.ToString());
        bool rotate = options.Rotations ?? spec.Kind.RotatesTrainingClasses;
        if (rotate && train is not null) train = Augmentation.WithRotations(train);
        return new FewShotData(train, validation, test, split + (rotate && train is not null ? ", training classes ×4 by rotation" : ""), loaded);
    }

    /// <summary>
    /// Only the test classes: the dataset's test part read alone where the split has one (Omniglot's evaluation
    /// alphabets under its official split), else the test classes of the split.
    /// </summary>
    public Dataset LoadTest(DatasetSpec spec, PreprocessSettings settings, string? split)
    {
        spec.Kind.RequireSplit(split);
        // Only the test classes are wanted: the training classes' rotated copies would be built for nothing.
        if (spec.Kind.TestPart(split) is not { } name) return LoadFewShot(spec, settings, new SplitOptions(split, Rotations: false)).Test;
        var part = Parts(spec, out string path).FirstOrDefault(p => p.Name == name)
                   ?? throw new DatasetFormatException(path, $"the {spec.Id} {name} part is missing");
        return Load(spec, part, settings).Data;
    }
}

/// <summary>
/// How to split classes for few-shot learning. <see cref="Split"/>: null for the dataset's default
/// (<see cref="Datasets.DatasetKind.DefaultSplit"/>) or any form <see cref="ClassSplit.Parse"/> reads. <see cref="ValidationClasses"/> more classes are held out of
/// training for validation (seeded). <see cref="Rotations"/>: add the 90°/180°/270° rotations of the training
/// classes as new classes; null = as the dataset kind says (<see cref="Datasets.DatasetKind.RotatesTrainingClasses"/>).
/// </summary>
public sealed record SplitOptions(string? Split = null, int ValidationClasses = 0, ulong Seed = 1, bool? Rotations = null);

/// <summary>The split datasets: training (null when every class tests), validation (optional) and test classes.</summary>
public sealed record FewShotData(Dataset? Train, Dataset? Validation, Dataset Test, string Split, IReadOnlyList<LoadedPart> Parts);
