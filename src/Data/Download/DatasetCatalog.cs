using Lshk.Data.Sources;

namespace Lshk.Data.Download;

/// <summary>A file of an official dataset distribution: where to get it (mirrors in order) and its published MD5.</summary>
public sealed record RemoteFile(string FileName, IReadOnlyList<string> Urls, string Md5)
{
    /// <summary>The same file from another base URL (a mirror, or a test server).</summary>
    public RemoteFile FromMirror(string baseUrl) => this with { Urls = [baseUrl.TrimEnd('/') + "/" + FileName] };
}

/// <summary>
/// The official files of each dataset and their published checksums.
/// Omniglot: the zips of Lake et al.'s repository (github.com/brendenlake/omniglot, python/), MD5s as listed by
/// torchvision's <c>datasets/omniglot.py</c>. MNIST: the four gzipped IDX files, MD5s as listed by torchvision's
/// <c>datasets/mnist.py</c>, from torchvision's mirror first and Yann LeCun's page second. CIFAR: the binary
/// versions from Alex Krizhevsky's page (www.cs.toronto.edu/~kriz/cifar.html), whose MD5s that page publishes
/// (torchvision lists only the Python versions' checksums).
/// </summary>
public static class DatasetCatalog
{
    private const string OmniglotBase = "https://raw.githubusercontent.com/brendenlake/omniglot/master/python/";
    private const string OmniglotGithub = "https://github.com/brendenlake/omniglot/raw/master/python/";
    private static readonly string[] MnistMirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"];
    private const string Cifar = "https://www.cs.toronto.edu/~kriz/";

    public static IReadOnlyList<RemoteFile> Files(DatasetName name) => name switch
    {
        DatasetName.Omniglot =>
        [
            Omniglot("images_background.zip", "68d2efa1b9178cc56df9314c21c6e718"),
            Omniglot("images_evaluation.zip", "6b91aef0f799c5bb55b94e3f2daec811"),
        ],
        DatasetName.Mnist =>
        [
            Mnist("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
            Mnist("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
            Mnist("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
            Mnist("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
        ],
        DatasetName.Cifar10 => [new("cifar-10-binary.tar.gz", [Cifar + "cifar-10-binary.tar.gz"], "c32a1d4ab5d03f1284b67883e8d87530")],
        DatasetName.Cifar100 => [new("cifar-100-binary.tar.gz", [Cifar + "cifar-100-binary.tar.gz"], "03b5dce01913d631647c71ecec9e9cb8")],
        _ => throw new ArgumentException("an image folder is not downloadable: give its path as folder:PATH"),
    };

    private static RemoteFile Omniglot(string file, string md5) => new(file, [OmniglotBase + file, OmniglotGithub + file], md5);

    private static RemoteFile Mnist(string file, string md5) => new(file, MnistMirrors.Select(m => m + file).ToArray(), md5);
}
