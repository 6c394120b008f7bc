using Lshk.Data.Download;
using Lshk.Data.Readers;
using Lshk.Data.Sources;

namespace Lshk.Data.Datasets;

/// <summary>
/// Omniglot (Lake et al.): its background and evaluation sets, as the official zips or extracted folders, or one of
/// them given directly. Its split is the official one, not a split of classes: the background alphabets train (with
/// their rotations as new classes, the standard protocol), the evaluation alphabets test.
/// </summary>
public sealed class OmniglotDataset : DatasetKind
{
    /// <summary>The only split name Omniglot accepts.</summary>
    public const string OfficialSplit = "official";

    /// <summary>
    /// Background characters held out for validation: 64 of 964 (6.6%; the rest, ×4 by rotation, train), enough for
    /// 20-way validation episodes with a few thousand query images.
    /// </summary>
    public const int ValidationCharacters = 64;

    private const string Background = "background", Evaluation = "evaluation";

    // Lake et al.'s repository (github.com/brendenlake/omniglot, python/), MD5s as listed by torchvision's datasets/omniglot.py.
    private const string Raw = "https://raw.githubusercontent.com/brendenlake/omniglot/master/python/";
    private const string Github = "https://github.com/brendenlake/omniglot/raw/master/python/";

    public override string Id => "omniglot";

    // Hash-aware training (a 64-bit hash layer and its cosine code loss beside the prototypical loss) is the default
    // here because it trains a better float embedding in the same episodes, as well as codes that keep accuracy:
    // bench/RESULTS.md, "Time to accuracy".
    public override TrainingDefaults Defaults { get; } = TrainingDefaults.Standard with { ValidationClasses = ValidationCharacters, HashBits = DefaultHashBits };

    /// <summary>The hash layer's code length when training on Omniglot without --hash-bits.</summary>
    public const int DefaultHashBits = 64;

    /// <summary>The scans are dark strokes on white paper; the reader inverts them so ink = 1.</summary>
    public override bool InvertsImages => true;

    public override bool RotatesTrainingClasses => true;

    public override IReadOnlyList<RemoteFile> Downloads { get; } =
    [
        Zip("images_background.zip", "68d2efa1b9178cc56df9314c21c6e718"),
        Zip("images_evaluation.zip", "6b91aef0f799c5bb55b94e3f2daec811"),
    ];

    private static RemoteFile Zip(string file, string md5) => new(file, [Raw + file, Github + file], md5);

    public override string? TestPart => Evaluation;

    public override string DefaultSplit(int classCount) => OfficialSplit;

    public override IReadOnlyList<DatasetPart> Parts(string root)
    {
        if (File.Exists(root))
        {
            string stem = Path.GetFileNameWithoutExtension(root);
            return [new(stem.StartsWith("images_", StringComparison.Ordinal) ? stem[7..] : stem, [root], s => OmniglotReader.Read(root, s))];
        }
        var parts = new List<DatasetPart>();
        foreach (string set in new[] { Background, Evaluation })
        {
            string zip = Path.Combine(root, $"images_{set}.zip"), folder = Path.Combine(root, $"images_{set}");
            string? source = File.Exists(zip) ? zip : Directory.Exists(folder) ? folder : null;
            if (source is not null) parts.Add(new(set, [source], s => OmniglotReader.Read(source, s)));
        }
        if (parts.Count == 0)
            throw new DatasetFormatException(root, "no Omniglot sets here (images_background.zip, images_evaluation.zip or the same folders extracted)");
        return parts;
    }

    /// <summary>Omniglot has only its official split.</summary>
    public override void RequireSplit(string? split)
    {
        if (split is not null and not OfficialSplit)
            throw new Lshk.Core.InputException($"Omniglot uses its official split (background alphabets train, evaluation alphabets test), not '{split}'");
    }

    public override ClassPartition Partition(IReadOnlyList<LoadedPart> loaded, string? split, int validationClasses, ulong seed, string source)
    {
        RequireSplit(split);
        var background = loaded.FirstOrDefault(p => p.Name == Background)?.Data
                         ?? throw new DatasetFormatException(source, "the Omniglot background set (images_background.zip) is missing");
        var test = loaded.FirstOrDefault(p => p.Name == Evaluation)?.Data
                   ?? throw new DatasetFormatException(source, "the Omniglot evaluation set (images_evaluation.zip) is missing");
        var classes = new ClassSplit(Enumerable.Range(0, background.ClassCount).ToArray(), [], []).HoldOut(validationClasses, seed);
        return new ClassPartition(
            background.SelectClasses(classes.Train, background.Source + " (training classes)"),
            classes.Validation.Length > 0 ? background.SelectClasses(classes.Validation, background.Source + " (validation classes)") : null,
            test,
            OfficialSplit + (validationClasses > 0 ? $", {validationClasses} background classes held out for validation" : ""));
    }
}
