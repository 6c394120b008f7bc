using Lshk.Data.Download;
using Lshk.Data.Readers;
using Lshk.Data.Sources;

namespace Lshk.Data.Datasets;

/// <summary>
/// CIFAR-10 and CIFAR-100, binary versions (archive or extracted). Default splits follow the usual few-shot class
/// counts: CIFAR-10 5/0/5, CIFAR-100 64/16/20 (seeded). Files from Alex Krizhevsky's page, whose MD5s it publishes.
/// </summary>
public sealed class CifarDataset : DatasetKind
{
    private const string Page = "https://www.cs.toronto.edu/~kriz/";

    /// <summary>CIFAR's native image side: both versions train at 32×32 RGB by default.</summary>
    public const int NativeSize = 32;

    public static CifarDataset Cifar10 { get; } = new(CifarVersion.Cifar10, "cifar10", "5/0/5", "c32a1d4ab5d03f1284b67883e8d87530",
        TrainingDefaults.FiveTrainingClasses with { ImageSize = NativeSize });

    /// <summary>20-way episodes: a third of the 64 training classes (60-way would use nearly all of them in every episode).</summary>
    public static CifarDataset Cifar100 { get; } = new(CifarVersion.Cifar100, "cifar100", "64/16/20", "03b5dce01913d631647c71ecec9e9cb8",
        TrainingDefaults.Standard with { Ways = 20, Queries = 15, ImageSize = NativeSize });

    private readonly CifarVersion _version;
    private readonly string _split;

    private CifarDataset(CifarVersion version, string id, string split, string md5, TrainingDefaults defaults)
    {
        (_version, Id, _split, Defaults) = (version, id, split, defaults);
        string archive = CifarReader.ArchiveName(version);
        Downloads = [new RemoteFile(archive, [Page + archive], md5)];
    }

    public override string Id { get; }

    public override TrainingDefaults Defaults { get; }

    public override IReadOnlyList<RemoteFile> Downloads { get; }

    public override string DefaultSplit(int classCount) => _split;

    public override IReadOnlyList<DatasetPart> Parts(string root)
    {
        var parts = new List<DatasetPart>();
        foreach (var (part, name) in new[] { (CifarPart.Train, "train"), (CifarPart.Test, "test") })
            if (CifarReader.HasPart(root, _version, part))
                parts.Add(new(name, CifarReader.SourcePaths(root, _version, part), s => CifarReader.Read(root, _version, part, s)));
        return parts;
    }
}
