using Lshk.Data.Download;
using Lshk.Data.Readers;
using Lshk.Data.Sources;

namespace Lshk.Data.Datasets;

/// <summary>MNIST: the four IDX files (gzipped or not); digits 0–4 train, 5–9 test by default.</summary>
public sealed class MnistDataset : DatasetKind
{
    // torchvision's mirror first, Yann LeCun's page second; MD5s as listed by torchvision's datasets/mnist.py.
    private static readonly string[] Mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"];

    public override string Id => "mnist";

    public override IReadOnlyList<RemoteFile> Downloads { get; } =
    [
        File("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        File("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        File("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        File("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ];

    private static RemoteFile File(string file, string md5) => new(file, Mirrors.Select(m => m + file).ToArray(), md5);

    public override string DefaultSplit(int classCount) => "0-4/5-9";

    public override IReadOnlyList<DatasetPart> Parts(string root)
    {
        if (!Directory.Exists(root)) throw new DatasetFormatException(root, "expected the folder holding the MNIST IDX files");
        var parts = new List<DatasetPart>();
        foreach (var (half, name) in new[] { ("train", "train"), ("t10k", "test") })
            if (MnistReader.FindHalf(root, half) is var (images, labels))
                parts.Add(new(name, [images, labels], s => MnistReader.Read(images, labels, s)));
        if (parts.Count == 0)
            throw new DatasetFormatException(root, "no MNIST files here (train-images-idx3-ubyte[.gz], t10k-images-idx3-ubyte[.gz] and their labels)");
        return parts;
    }
}
