using Lshk.Data.Download;
using Lshk.Data.Sources;

namespace Lshk.Data.Datasets;

/// <summary>
/// What training on a dataset uses unless told otherwise: episode shape (ways, shots, queries), the image side the
/// network takes, the class split (null: the dataset's own default, see <see cref="DatasetKind.DefaultSplit"/>) and
/// how many training classes are held out for validation, the filters of each conv, the bits of hash-aware training
/// (0: none) and the learning-rate schedule (see <c>TrainSettings.CreateSchedule</c>; "cosine" runs over the budget, episodes or minutes)
/// and the training images' random distortions (<see cref="Imaging.RandomAffine.Parse"/>; "none": off), and the
/// weight of hash-aware training's code loss beside the embedding loss, and that loss's cosine margin (0: none; it
/// applies where the code loss is cosine-mean, the default), and how the last block ends (<c>lshk train --final-pool</c>:
/// on, off or average).
/// </summary>
public sealed record TrainingDefaults(int Ways, int Shots, int Queries, int ImageSize, int ValidationClasses, int HashBits = 0,
    string Schedule = TrainingDefaults.PaperSchedule, string Augment = Imaging.RandomAffine.NoneName, int Filters = TrainingDefaults.PaperFilters,
    float HashCodeWeight = TrainingDefaults.EvenCodeWeight, float HashCodeMargin = 0f, string FinalPool = TrainingDefaults.PooledLastBlock)
{
    /// <summary>Every block, the last too, ends with its 2×2 max-pool (the paper's Conv-4).</summary>
    public const string PooledLastBlock = "on";

    /// <summary>The code loss weighed as the embedding loss (Lshk.Nn's HashTrainingSettings.DefaultCodeWeight).</summary>
    public const float EvenCodeWeight = 1f;

    /// <summary>Filters per conv of the prototypical-networks paper's Conv-4.</summary>
    public const int PaperFilters = 64;

    /// <summary>Halve the rate every 2000 episodes, as the prototypical-networks paper.</summary>
    public const string PaperSchedule = "step:2000:0.5";

    /// <summary>60-way 5-shot 5-query episodes on 28×28 images (the prototypical-networks setting for Omniglot).</summary>
    public static TrainingDefaults Standard { get; } = new(Ways: 60, Shots: 5, Queries: 5, ImageSize: 28, ValidationClasses: 0);

    /// <summary>
    /// For 10-class datasets split 5/5 (MNIST, Fashion-MNIST, CIFAR-10): five training classes make 5-way episodes
    /// at most (60-way would fail), with 15 queries per class as in evaluation; no validation classes, since every
    /// training class is needed for a 5-way episode.
    /// </summary>
    public static TrainingDefaults FiveTrainingClasses { get; } = new(Ways: 5, Shots: 5, Queries: 15, ImageSize: 28, ValidationClasses: 0);
}

/// <summary>The classes a dataset trains, validates and tests on, and how the split was made.</summary>
public sealed record ClassPartition(Dataset? Train, Dataset? Validation, Dataset Test, string Description);

/// <summary>
/// One kind of dataset (Omniglot, MNIST, an image folder, …): its reader, where to download it, its class split and its
/// training defaults, all in one place. Adding a dataset is a new subclass in its own file plus one line in
/// <see cref="DatasetRegistry"/> (or a call to <see cref="DatasetRegistry.Register"/>).
/// </summary>
public abstract class DatasetKind
{
    /// <summary>The name on the command line and in model metadata (lower case, e.g. "omniglot").</summary>
    public abstract string Id { get; }

    /// <summary>Whether the dataset can only be named with its path (NAME:PATH), having no default location.</summary>
    public virtual bool NeedsPath => false;

    public virtual TrainingDefaults Defaults => TrainingDefaults.Standard;

    /// <summary>
    /// Whether the reader inverts the source images (dark strokes on light paper → ink 1), so image files given to a
    /// model trained on it are inverted the same way (stored as <c>lshk.preprocess.invert</c>).
    /// </summary>
    public virtual bool InvertsImages => false;

    /// <summary>Whether the training classes are augmented with their 90°/180°/270° rotations as new classes.</summary>
    public virtual bool RotatesTrainingClasses => false;

    /// <summary>
    /// Folders where a system package installs the dataset (Debian's dataset-fashion-mnist: /usr/share/datasets/…),
    /// searched after $LSHK_DATA/NAME and data/NAME (see <see cref="Sources.DataLocations.SearchFolders"/>).
    /// </summary>
    public virtual IReadOnlyList<string> InstalledFolders => [];

    /// <summary>The official files to download (empty: not downloadable).</summary>
    public virtual IReadOnlyList<RemoteFile> Downloads => [];

    /// <summary>The parts present at <paramref name="root"/> (the resolved path of the dataset).</summary>
    public abstract IReadOnlyList<DatasetPart> Parts(string root);

    /// <summary>The class split used when none is asked for (see <see cref="ClassSplit.Parse"/>).</summary>
    public virtual string DefaultSplit(int classCount)
    {
        int train = (int)Math.Round(classCount * DefaultTrainFraction);
        return $"{train}/0/{classCount - train}";
    }

    /// <summary>Share of classes that train under the generic default split; the rest test.</summary>
    protected const double DefaultTrainFraction = 0.6;

    /// <summary>
    /// The part that holds exactly the test classes of <paramref name="split"/> (null: the default split), read alone
    /// when only they are needed (evaluation), or null when the test classes are a split of all parts.
    /// </summary>
    public virtual string? TestPart(string? split) => null;

    /// <summary>Checks a split asked for (null: the default); a dataset with a fixed split refuses any other.</summary>
    public virtual void RequireSplit(string? split)
    {
    }

    /// <summary>
    /// Splits the loaded parts into training, validation and test classes: by default all parts together, split by
    /// <paramref name="split"/> (or <see cref="DefaultSplit"/>) with <paramref name="validationClasses"/> more held out.
    /// </summary>
    public virtual ClassPartition Partition(IReadOnlyList<LoadedPart> loaded, string? split, int validationClasses, ulong seed, string source)
    {
        var all = loaded.Select(p => p.Data).Aggregate((a, b) => Dataset.Concat(a, b, $"{a.Source} + {b.Source}"));
        string chosen = split ?? DefaultSplit(all.ClassCount);
        var classes = ClassSplit.Parse(chosen, all.ClassCount, seed).HoldOut(validationClasses, seed);
        return new ClassPartition(
            classes.Train.Length > 0 ? all.SelectClasses(classes.Train, all.Source + " (training classes)") : null,
            classes.Validation.Length > 0 ? all.SelectClasses(classes.Validation, all.Source + " (validation classes)") : null,
            all.SelectClasses(classes.Test, all.Source + " (test classes)"),
            chosen);
    }

    public override string ToString() => Id;
}
