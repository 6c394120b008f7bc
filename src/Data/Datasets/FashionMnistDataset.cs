using Lshk.Data.Download;

namespace Lshk.Data.Datasets;

/// <summary>
/// Fashion-MNIST (Zalando's 28×28 gray clothing images, a harder drop-in for MNIST): the same four IDX files. Classes
/// 0–4 (T-shirt/top, trouser, pullover, dress, coat) train, 5–9 (sandal, shirt, sneaker, bag, ankle boot) test by
/// default. Debian's dataset-fashion-mnist package installs the official files, which are used from there when
/// present (see <see cref="InstalledFolders"/>).
/// </summary>
public sealed class FashionMnistDataset : IdxDataset
{
    /// <summary>Where Debian's dataset-fashion-mnist package puts the IDX files (<c>dpkg -L dataset-fashion-mnist</c>).</summary>
    public const string DebianFolder = "/usr/share/datasets/fashion-mnist";

    // Zalando's own bucket, as linked from github.com/zalandoresearch/fashion-mnist; MD5s as listed by torchvision's
    // datasets/mnist.py (FashionMNIST). Debian recompresses the .gz files, so its copies have other MD5s: they are
    // read in place and never checked against these.
    private static readonly string[] Mirrors =
    [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ];

    public override string Id => "fashion-mnist";

    public override string Title => "Fashion-MNIST";

    public override IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public override IReadOnlyList<string> InstalledFolders { get; } = [DebianFolder];

    public override IReadOnlyList<RemoteFile> Downloads { get; } =
    [
        File("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        File("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        File("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        File("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ];

    private static RemoteFile File(string file, string md5) => new(file, Mirrors.Select(m => m + file).ToArray(), md5);
}
