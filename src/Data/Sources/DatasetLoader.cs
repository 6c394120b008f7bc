using System.Diagnostics;
using Lshk.Data.Caching;
using Lshk.Data.Readers;

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
        string root = path;
        var parts = new List<DatasetPart>();
        switch (spec.Name)
        {
            case DatasetName.Omniglot:
                if (File.Exists(root))
                {
                    string stem = Path.GetFileNameWithoutExtension(root);
                    parts.Add(new(stem.StartsWith("images_", StringComparison.Ordinal) ? stem[7..] : stem, [root], s => OmniglotReader.Read(root, s)));
                    break;
                }
                foreach (string set in new[] { "background", "evaluation" })
                {
                    string zip = Path.Combine(root, $"images_{set}.zip"), folder = Path.Combine(root, $"images_{set}");
                    string? source = File.Exists(zip) ? zip : Directory.Exists(folder) ? folder : null;
                    if (source is not null) parts.Add(new(set, [source], s => OmniglotReader.Read(source, s)));
                }
                if (parts.Count == 0)
                    throw new DatasetFormatException(root, "no Omniglot sets here (images_background.zip, images_evaluation.zip or the same folders extracted)");
                break;
            case DatasetName.Mnist:
                if (!Directory.Exists(root)) throw new DatasetFormatException(root, "expected the folder holding the MNIST IDX files");
                foreach (var (half, name) in new[] { ("train", "train"), ("t10k", "test") })
                    if (MnistReader.FindHalf(root, half) is var (images, labels))
                        parts.Add(new(name, [images, labels], s => MnistReader.Read(images, labels, s)));
                if (parts.Count == 0)
                    throw new DatasetFormatException(root, "no MNIST files here (train-images-idx3-ubyte[.gz], t10k-images-idx3-ubyte[.gz] and their labels)");
                break;
            case DatasetName.Cifar10:
            case DatasetName.Cifar100:
                var version = spec.Name == DatasetName.Cifar10 ? CifarVersion.Cifar10 : CifarVersion.Cifar100;
                foreach (var (part, name) in new[] { (CifarPart.Train, "train"), (CifarPart.Test, "test") })
                    if (CifarReader.HasPart(root, version, part))
                        parts.Add(new(name, CifarReader.SourcePaths(root, version, part), s => CifarReader.Read(root, version, part, s)));
                break;
            default:
                parts.Add(new("all", [root], s => ImageFolderReader.Read(root, s)));
                break;
        }
        return parts;
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
        Dataset? train, validation, test;
        string split;
        if (spec.Name == DatasetName.Omniglot)
        {
            if (options.Split is not null and not "official")
                throw new ArgumentException($"Omniglot uses its official split (background alphabets train, evaluation alphabets test), not '{options.Split}'");
            var background = loaded.FirstOrDefault(p => p.Name == "background")?.Data
                             ?? throw new DatasetFormatException(spec.ToString(), "the Omniglot background set (images_background.zip) is missing");
            test = loaded.FirstOrDefault(p => p.Name == "evaluation")?.Data
                   ?? throw new DatasetFormatException(spec.ToString(), "the Omniglot evaluation set (images_evaluation.zip) is missing");
            var classes = new ClassSplit(Enumerable.Range(0, background.ClassCount).ToArray(), [], []).HoldOut(options.ValidationClasses, options.Seed);
            train = background.SelectClasses(classes.Train, background.Source + " (training classes)");
            validation = classes.Validation.Length > 0 ? background.SelectClasses(classes.Validation, background.Source + " (validation classes)") : null;
            split = "official" + (options.ValidationClasses > 0 ? $", {options.ValidationClasses} background classes held out for validation" : "");
        }
        else
        {
            var all = loaded.Select(p => p.Data).Aggregate((a, b) => Dataset.Concat(a, b, $"{a.Source} + {b.Source}"));
            split = options.Split ?? DefaultSplit(spec.Name, all.ClassCount);
            var classes = ClassSplit.Parse(split, all.ClassCount, options.Seed).HoldOut(options.ValidationClasses, options.Seed);
            train = classes.Train.Length > 0 ? all.SelectClasses(classes.Train, all.Source + " (training classes)") : null;
            validation = classes.Validation.Length > 0 ? all.SelectClasses(classes.Validation, all.Source + " (validation classes)") : null;
            test = all.SelectClasses(classes.Test, all.Source + " (test classes)");
        }
        bool rotate = options.Rotations ?? spec.Name == DatasetName.Omniglot;
        if (rotate && train is not null) train = Augmentation.WithRotations(train);
        return new FewShotData(train, validation, test, split + (rotate && train is not null ? ", training classes ×4 by rotation" : ""), loaded);
    }

    /// <summary>The documented default class split of each dataset (Omniglot aside).</summary>
    public static string DefaultSplit(DatasetName name, int classCount) => name switch
    {
        DatasetName.Mnist => "0-4/5-9",
        DatasetName.Cifar10 => "5/0/5",
        DatasetName.Cifar100 => "64/16/20",
        _ => $"{(int)Math.Round(classCount * 0.6)}/0/{classCount - (int)Math.Round(classCount * 0.6)}",
    };
}

/// <summary>
/// How to split classes for few-shot learning. <see cref="Split"/>: null for the dataset's default — Omniglot:
/// official (background alphabets train, evaluation alphabets test); MNIST: 0-4/5-9; CIFAR-10: 5/0/5 seeded;
/// CIFAR-100: 64/16/20 seeded (the class counts of the usual few-shot convention); image folder: 60% / 40% seeded —
/// or any form <see cref="ClassSplit.Parse"/> reads. <see cref="ValidationClasses"/> more classes are held out of
/// training for validation (seeded). <see cref="Rotations"/>: add the 90°/180°/270° rotations of the training
/// classes as new classes; null = on for Omniglot, off otherwise.
/// </summary>
public sealed record SplitOptions(string? Split = null, int ValidationClasses = 0, ulong Seed = 1, bool? Rotations = null);

/// <summary>The split datasets: training (null when every class tests), validation (optional) and test classes.</summary>
public sealed record FewShotData(Dataset? Train, Dataset? Validation, Dataset Test, string Split, IReadOnlyList<LoadedPart> Parts);
