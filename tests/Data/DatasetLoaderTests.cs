using Lshk.Data.Datasets;
using Lshk.Data;
using Lshk.Data.Sources;

namespace Lshk.Tests.Data;

/// <summary>Dataset names and paths, the lookup order, and the few-shot splits of each dataset.</summary>
public sealed class DatasetLoaderTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void SpecsParseNamesAndPaths()
    {
        Assert.Equal(new DatasetSpec(DatasetRegistry.Get("omniglot"), null), DatasetSpec.Parse("omniglot"));
        Assert.Equal(new DatasetSpec(CifarDataset.Cifar100, "/x:y"), DatasetSpec.Parse("CIFAR100:/x:y"));
        Assert.Equal(new DatasetSpec(CifarDataset.Cifar10, "d"), DatasetSpec.Parse("cifar-10:d"));
        Assert.Contains("unknown dataset 'imagenet'", Assert.Throws<Lshk.Core.InputException>(() => DatasetSpec.Parse("imagenet")).Message);
        Assert.Contains("needs a path", Assert.Throws<Lshk.Core.InputException>(() => DatasetSpec.Parse("folder")).Message);
        Assert.Throws<Lshk.Core.InputException>(() => DatasetSpec.Parse("mnist:"));
    }

    [Fact]
    public void LookupOrderIsExplicitThenLshkDataThenRepository()
    {
        string env = Path.Combine(_tmp.Path, "env"), repo = Path.Combine(_tmp.Path, "repo");
        Directory.CreateDirectory(Path.Combine(repo, "data", "mnist"));
        var locations = new DataLocations(env, repo);
        Assert.Equal(Path.Combine(repo, "data", "mnist"), locations.Resolve(DatasetSpec.Parse("mnist")));
        Directory.CreateDirectory(Path.Combine(env, "mnist"));
        Assert.Equal(Path.Combine(env, "mnist"), locations.Resolve(DatasetSpec.Parse("mnist")));
        Assert.Equal(_tmp.Path, locations.Resolve(DatasetSpec.Parse("mnist:" + _tmp.Path)));
        Assert.Equal(Path.Combine(env, "cache"), locations.CacheFolder());
        Assert.Equal(Path.Combine(repo, "data", "cache"), new DataLocations(null, repo).CacheFolder());
        Assert.Equal(Path.Combine(env, "cifar10"), locations.DownloadFolder("cifar10"));
        var e = Assert.Throws<DatasetFormatException>(() => locations.Resolve(DatasetSpec.Parse("cifar10")));
        Assert.Equal($"cifar10: dataset not found (looked in {Path.Combine(env, "cifar10")}, {Path.Combine(repo, "data", "cifar10")}); " +
                     "download it with 'lshk data get cifar10' or give its path as cifar10:PATH", e.Message);
        Assert.EndsWith("nowhere: not found", Assert.Throws<DatasetFormatException>(() => locations.Resolve(DatasetSpec.Parse("mnist:" + Path.Combine(_tmp.Path, "nowhere")))).Message);
        // The shared datasets are never a lookup location: only explicit paths reach them.
        Assert.DoesNotContain(locations.SearchFolders("omniglot"), f => f.Contains("shared"));
    }

    [Fact]
    public void RepositoryIsFoundAboveTheWorkingFolder()
    {
        Directory.CreateDirectory(Path.Combine(_tmp.Path, "a", "b"));
        File.WriteAllText(Path.Combine(_tmp.Path, "Kernels.sln"), "");
        Assert.Equal(_tmp.Path, DataLocations.FindRepoRoot(Path.Combine(_tmp.Path, "a", "b")));
    }

    [Fact]
    public void OmniglotOfficialSplitWithRotationsAndValidation()
    {
        var loader = new DatasetLoader(new DataLocations(null, null), cache: null);
        string root = Path.Combine(_tmp.Path, "omniglot");
        Directory.CreateDirectory(root);
        DataFiles.WriteOmniglotZip(Path.Combine(root, "images_background.zip"), 2, 4, 3);
        DataFiles.WriteOmniglotZip(Path.Combine(root, "images_evaluation.zip"), 1, 5, 3, top: "images_evaluation");
        var data = loader.LoadFewShot(DatasetSpec.Parse("omniglot:" + root), PreprocessSettings.Default, new SplitOptions(ValidationClasses: 2));
        Assert.Equal(4 * 6, data.Train!.ClassCount);   // 8 background classes − 2 held out, ×4 rotations
        Assert.Equal(2, data.Validation!.ClassCount);
        Assert.Equal(5, data.Test.ClassCount);
        Assert.Empty(data.Validation.ClassNames.Intersect(data.Train.ClassNames));
        var plain = loader.LoadFewShot(DatasetSpec.Parse("omniglot:" + root), PreprocessSettings.Default, new SplitOptions(Rotations: false));
        Assert.Equal(8, plain.Train!.ClassCount);
        Assert.Null(plain.Validation);
        Assert.Throws<Lshk.Core.InputException>(() => loader.LoadFewShot(DatasetSpec.Parse("omniglot:" + root), PreprocessSettings.Default, new SplitOptions("all")));
    }

    [Fact]
    public void MnistDefaultSplitIsDigitsZeroToFourAndFiveToNine()
    {
        var loader = new DatasetLoader(new DataLocations(null, null), cache: null);
        var data = loader.LoadFewShot(DatasetSpec.Parse("mnist:" + DataFiles.MnistFolder), PreprocessSettings.Default, new SplitOptions());
        Assert.Equal(["0", "1", "2", "3", "4"], data.Train!.ClassNames);
        Assert.Equal(["5", "6", "7", "8", "9"], data.Test.ClassNames);
        Assert.Equal(980 + 1135 + 1032 + 1010 + 982, data.Train.Count);
        Assert.Equal(892 + 958 + 1028 + 974 + 1009, data.Test.Count);
        Assert.DoesNotContain("0/rot90", data.Train.ClassNames);
        var all = loader.LoadFewShot(DatasetSpec.Parse("mnist:" + DataFiles.MnistFolder), PreprocessSettings.Default, new SplitOptions("all"));
        Assert.Null(all.Train);
        Assert.Equal(10000, all.Test.Count);
    }

    [Fact]
    public void MnistHalvesAreJoined()
    {
        DataFiles.WriteMnist(_tmp.Path, "train", 20);
        DataFiles.WriteMnist(_tmp.Path, "t10k", 10);
        var loader = new DatasetLoader(new DataLocations(null, null), cache: null);
        var data = loader.LoadFewShot(DatasetSpec.Parse("mnist:" + _tmp.Path), PreprocessSettings.Default, new SplitOptions("0-4/5-9"));
        Assert.Equal(15, data.Train!.Count);
        Assert.Equal(15, data.Test.Count);
        Assert.Equal(["train", "test"], data.Parts.Select(p => p.Name));
    }

    [Fact]
    public void DefaultSplitsAreDocumentedValues()
    {
        Assert.Equal("0-4/5-9", DatasetRegistry.Get("mnist").DefaultSplit(10));
        Assert.Equal("5/0/5", DatasetRegistry.Get("cifar10").DefaultSplit(10));
        Assert.Equal("64/16/20", DatasetRegistry.Get("cifar100").DefaultSplit(100));
        Assert.Equal("3/0/2", DatasetRegistry.Get("folder").DefaultSplit(5));
    }
}
