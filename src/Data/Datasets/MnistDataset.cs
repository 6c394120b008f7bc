using Lshk.Data.Download;

namespace Lshk.Data.Datasets;

/// <summary>MNIST (handwritten digits): the four IDX files; digits 0–4 train, 5–9 test by default (see <see cref="IdxDataset"/>).</summary>
public sealed class MnistDataset : IdxDataset
{
    // torchvision's mirror first, Yann LeCun's page second; MD5s as listed by torchvision's datasets/mnist.py.
    private static readonly string[] Mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"];

    public override string Id => "mnist";

    public override string Title => "MNIST";

    public override IReadOnlyList<string> ClassNames { get; } = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    public override IReadOnlyList<RemoteFile> Downloads { get; } =
    [
        File("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        File("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        File("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        File("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ];

    private static RemoteFile File(string file, string md5) => new(file, Mirrors.Select(m => m + file).ToArray(), md5);
}
