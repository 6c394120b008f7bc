using Lshk.Data.Readers;
using Lshk.Data.Sources;

namespace Lshk.Data.Datasets;

/// <summary>A folder with one subfolder of images per class (see <see cref="ImageFolderReader"/>); 60% of classes train, 40% test.</summary>
public sealed class ImageFolderDataset : DatasetKind
{
    public override string Id => "folder";

    public override bool NeedsPath => true;

    public override IReadOnlyList<DatasetPart> Parts(string root) => [new("all", [root], s => ImageFolderReader.Read(root, s))];
}
