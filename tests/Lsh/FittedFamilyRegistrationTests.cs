using Lshk.Core;
using Lshk.Lsh;
using Lshk.Lsh.Families;
using Lshk.Lsh.Fitting;
using Lshk.Tests.Lsh.Fitting;

namespace Lshk.Tests.Lsh;

/// <summary>The built-in fitted and per-episode families: registered by name, and their planes are the fitting math's.</summary>
public class FittedFamilyRegistrationTests
{
    private const int Dim = 8;

    [Fact]
    public void PcaItqAndOneRestAreRegisteredWithTheirKinds()
    {
        Assert.Equal(["gaussian", "uniform", "integer", "pca", "itq", "one-rest", "learned"], HashFamilies.All.Take(7).Select(f => f.Name));
        // Learned planes are neither drawn nor fitted: only a hash-trained model file holds them.
        Assert.Equal(HashFamilyKind.Trained, HashFamilies.Get("learned").Kind);
        Assert.IsNotAssignableFrom<IFittedHashFamily>(HashFamilies.Get("learned"));
        Assert.True(HashFamilyKind.Trained.StorableInIndex());
        Assert.IsAssignableFrom<IFittedHashFamily>(HashFamilies.Get("pca"));
        Assert.IsAssignableFrom<IFittedHashFamily>(HashFamilies.Get("itq"));
        Assert.IsAssignableFrom<IEpisodeHashFamily>(HashFamilies.Get("ovr"));
        Assert.Equal(HashFamilyKind.PerEpisode, HashFamilies.Get("one-rest").Kind);
        Assert.Throws<InputException>(() => HashFamilies.RequireRandom(HashFamilies.Get("itq")));
    }

    [Fact]
    public void FittedFamiliesGiveThePlanesOfTheFitWithTheMeanFoldedIn()
    {
        float[] x = FittingData.Clusters(6, 20, Dim, spread: 3, noise: 0.5, offset: 2, seed: 5, out _);
        int n = x.Length / Dim;
        var pca = PcaPlanes.Instance.Fit(x, Dim, 4, seed: 3);
        var expectedPca = Pca.Fit(x, n, Dim, 4).ToPlanes();
        Assert.Same(PcaPlanes.Instance, pca.Family);
        Assert.Equal(expectedPca.Normals, pca.Normals);
        Assert.Equal(expectedPca.Offsets, pca.Offsets);

        var itq = ItqPlanes.Instance.Fit(x, Dim, 2 * Dim, seed: 3);   // over-complete: P > D
        var expectedItq = Itq.Fit(x, n, Dim, 2 * Dim, 3).ToPlanes();
        Assert.Equal(2 * Dim, itq.Count);
        Assert.Equal(expectedItq.Normals, itq.Normals);
        Assert.Equal(expectedItq.Offsets, itq.Offsets);
        Assert.Equal(3UL, itq.Seed);
    }

    [Fact]
    public void OneRestGivesOnePlanePerClassOrExactlyTheRequestedMultiCodeLength()
    {
        const int ways = 5, shots = 2;
        float[] support = FittingData.Clusters(ways, shots, Dim, spread: 6, noise: 0.3, offset: 2, seed: 9, out int[] labels);
        var single = OneVsRestFamily.Instance.Fit(support, Dim, labels, ways, planes: 1, seed: 4);
        Assert.Equal(ways, single.Count);
        Assert.Equal(OneVsRestPlanes.Fit(support, ways * shots, Dim, labels, ways, new SvmOptions { Seed = 4 }).Normals, single.Normals);
        var multi = OneVsRestFamily.Instance.Fit(support, Dim, labels, ways, planes: 12, seed: 4);
        Assert.Equal(12, multi.Count);
        Assert.Same(OneVsRestFamily.Instance, multi.Family);
    }

    [Fact]
    public void BadInputIsAOneLineInputError()
    {
        float[] x = FittingData.Clusters(4, 10, Dim, spread: 3, noise: 0.5, offset: 0, seed: 6, out _);
        var tooMany = Assert.Throws<InputException>(() => PcaPlanes.Instance.Fit(x, Dim, Dim + 1, 1));
        Assert.Contains("only 8 directions", tooMany.Message);
        Assert.Throws<InputException>(() => ItqPlanes.Instance.Fit(x.AsSpan(1).ToArray(), Dim, 4, 1));
        Assert.Throws<InputException>(() => ItqPlanes.Instance.Fit(x, Dim, 0, 1));
        Assert.Throws<InputException>(() => ItqPlanes.Instance.Fit([], Dim, 4, 1));
    }
}
