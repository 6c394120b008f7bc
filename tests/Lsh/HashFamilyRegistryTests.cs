using Lshk.Lsh;
using Lshk.Lsh.Families;

namespace Lshk.Tests.Lsh;

public class HashFamilyRegistryTests
{
    [Fact]
    public void BuiltInFamiliesResolveByNameAndAlias()
    {
        Assert.Equal(["gaussian", "uniform", "integer"], HashFamilies.All.Take(3).Select(f => f.Name));
        Assert.Same(GaussianPlanes.Instance, HashFamilies.Get("gaussian"));
        Assert.Same(GaussianPlanes.Instance, HashFamilies.Get(" SimHash "));
        Assert.Same(IntegerPlanes.Instance, HashFamilies.Get("int"));
        Assert.Same(UniformPlanes.Instance, PlaneFamily.Uniform);
        Assert.All(HashFamilies.All.Take(3), f => Assert.Equal(HashFamilyKind.Random, f.Kind));
        Assert.Equal([GaussianPlanes.Instance, IntegerPlanes.Instance], HashFamilies.ParseList("gaussian, integer,normal"));
    }

    [Fact]
    public void AnUnknownNameIsOneLineNamingTheKnownFamilies()
    {
        var e = Assert.Throws<UnknownHashFamilyException>(() => HashFamilies.Get("nosuch"));
        Assert.StartsWith("unknown hash family 'nosuch' (known: gaussian, uniform, integer", e.Message);
        Assert.Null(e.FilePath);
        var fromFile = Assert.Throws<UnknownHashFamilyException>(() => HashFamilies.Get("nosuch", "m.safetensors"));
        Assert.StartsWith("m.safetensors: unknown hash family 'nosuch'", fromFile.Message);
        Assert.Equal("m.safetensors", fromFile.FilePath);
        Assert.Null(HashFamilies.Find("nosuch"));
    }

    [Fact]
    public void RegisteringIsIdempotentAndNamesStayUnique()
    {
        ToyHashFamilies.Register();
        ToyHashFamilies.Register();
        Assert.Single(HashFamilies.All, f => f.Name == "toy-axis");
        Assert.Same(ToyHashFamilies.Axis, HashFamilies.Get("toy-axes"));
        Assert.Contains("toy-fitted", HashFamilies.Names);

        var clash = Assert.Throws<ArgumentException>(() => HashFamilies.Register(new NamedFamily("toy-axis")));
        Assert.Equal("hash family name 'toy-axis' is already taken by 'toy-axis'", clash.Message);
        Assert.Contains("already taken by 'gaussian'", Assert.Throws<ArgumentException>(() =>
            HashFamilies.Register(new NamedFamily("toy-other", "simhash"))).Message);
        // A failed registration takes none of its names.
        Assert.Null(HashFamilies.Find("toy-other"));
        foreach (string bad in new[] { "", "Toy", "toy family", "1toy", new string('a', HashFamilies.MaxNameLength + 1) })
            Assert.Contains("must be 1 to 32 lowercase letters", Assert.Throws<ArgumentException>(() =>
                HashFamilies.Register(new NamedFamily(bad))).Message);
    }

    [Fact]
    public void KindsSayWhatAnIndexAcceptsAndWhatCanBeDrawn()
    {
        ToyHashFamilies.Register();
        Assert.True(HashFamilyKind.Random.StorableInIndex());
        Assert.True(HashFamilyKind.Fitted.StorableInIndex());
        Assert.False(HashFamilyKind.PerEpisode.StorableInIndex());
        Assert.Equal("hash family 'toy-class-mean' fits its planes to one episode's classes, so a support index (which can gain classes) cannot use it",
            Assert.Throws<Lshk.Core.InputException>(() => HashFamilyKinds.RequireStorableInIndex(ToyHashFamilies.PerEpisode)).Message);
        Assert.Equal("hash family 'toy-fitted' is fitted to training embeddings, not drawn from a seed",
            Assert.Throws<Lshk.Core.InputException>(() => Hyperplanes.Generate(ToyHashFamilies.Fitted, 8, 4, 1)).Message);
        Assert.Same(ToyHashFamilies.Axis, HashFamilies.RequireRandom(ToyHashFamilies.Axis));
    }

    private sealed class NamedFamily(string name, params string[] aliases) : IHashFamily
    {
        public string Name => name;
        public IReadOnlyList<string> Aliases => aliases;
        public HashFamilyKind Kind => HashFamilyKind.Random;
        public string Summary => "a name only";
    }
}
