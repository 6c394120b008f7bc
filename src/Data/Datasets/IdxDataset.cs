using Lshk.Data.Readers;
using Lshk.Data.Sources;

namespace Lshk.Data.Datasets;

/// <summary>
/// A 10-class dataset in MNIST's four IDX files (gzipped or not): MNIST itself and Fashion-MNIST. Split by class as the
/// 2018 study split MNIST: classes 0–4 train, 5–9 test (classes never seen in training), which also works with the
/// 10,000-image test half alone.
/// </summary>
public abstract class IdxDataset : DatasetKind
{
    /// <summary>The class split: the first five classes train, the last five test.</summary>
    public const string FirstFiveTrain = "0-4/5-9";

    /// <summary>The dataset's name as people write it ("MNIST"), for messages.</summary>
    public abstract string Title { get; }

    /// <summary>The names of classes 0…9, in label order.</summary>
    public abstract IReadOnlyList<string> ClassNames { get; }

    public override TrainingDefaults Defaults => TrainingDefaults.FiveTrainingClasses;

    public override string DefaultSplit(int classCount) => FirstFiveTrain;

    public override IReadOnlyList<DatasetPart> Parts(string root)
    {
        if (!Directory.Exists(root)) throw new DatasetFormatException(root, $"expected the folder holding the {Title} IDX files");
        var parts = new List<DatasetPart>();
        foreach (var (half, name) in new[] { ("train", "train"), ("t10k", "test") })
            if (MnistReader.FindHalf(root, half) is var (images, labels))
                parts.Add(new(name, [images, labels], s => MnistReader.Read(images, labels, s, ClassNames)));
        if (parts.Count == 0)
            throw new DatasetFormatException(root, $"no {Title} files here (train-images-idx3-ubyte[.gz], t10k-images-idx3-ubyte[.gz] and their labels)");
        return parts;
    }
}
