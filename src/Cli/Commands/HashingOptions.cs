using System.CommandLine;
using Lshk.App.Modeling;
using Lshk.Kernels;
using Lshk.Lsh;
using Lshk.Lsh.Index;

namespace Lshk.Cli.Commands;

/// <summary>
/// The model and hashing options shared by enroll and classify. The hashing values are nullable, so an option given
/// explicitly can be checked against an existing index.
/// </summary>
internal sealed class HashingOptions
{
    public Option<string> Model { get; } = ModelOption();
    public Option<int?> Planes { get; } = new("--planes") { Description = $"Hash bits per code (hyperplanes), default {HashingChoice.DefaultPlanes}" };
    public Option<string?> Hash { get; } = new("--hash") { Description = $"Plane family: {string.Join(", ", HashFamilies.Names)} (default gaussian; pca, itq, learned, pq and opq use what the model stores)" };
    public Option<ulong?> Seed { get; } = new("--seed") { Description = $"Seed of the hyperplanes, default {HashingChoice.DefaultSeed}" };
    public Option<string?> Center { get; } = new("--center") { Description = "Centre the embeddings on the support mean before hashing: on (default) or off" };

    public static Option<string> ModelOption() => new("--model") { Description = "Model file (.safetensors) made by lshk train", Required = true };

    public IEnumerable<Option> All => [Model, Planes, Hash, Seed, Center];

    public HashingChoice Resolve(ParseResult parse)
    {
        var d = HashingChoice.Default;
        int p = parse.GetValue(Planes) ?? d.Planes;
        UsageException.RequirePositive(p, "--planes");
        if (p > SupportIndexFile.MaxPlanes) throw new UsageException($"--planes {p} is more than {SupportIndexFile.MaxPlanes}");
        var family = parse.GetValue(Hash) is { } h ? HashFamilies.Get(h) : d.Family;
        RequireIndexable(family);
        bool on = parse.GetValue(Center) is not { } c ? d.Center : CommonOptions.ParseOnOff(c, "--center");
        return new HashingChoice(p, family, parse.GetValue(Seed) ?? d.Seed, on);
    }

    /// <summary>
    /// An index keeps one set of planes for every class it will ever hold, so a family whose planes are fitted to one
    /// episode's classes is refused before any image is read (fitted families and codebooks come from the model:
    /// lshk fit-hash).
    /// </summary>
    private static void RequireIndexable(IHashFamily family)
    {
        if (!family.Kind.StorableInIndex())
            throw new UsageException($"--hash {family.Name}: its planes are fitted to one episode's classes, so an index (which can gain classes) " +
                                     "cannot use them; compare it with lshk eval --hash");
    }

    /// <summary>The index at <paramref name="path"/> (null when there is none to read), checked by <see cref="RequireSameAs"/>.</summary>
    public SupportIndex? ReadIndex(ParseResult parse, string? path)
    {
        if (path is null) return null;
        var index = SupportIndexFile.Read(path);
        RequireSameAs(index, path, parse);
        return index;
    }

    /// <summary>Options given explicitly must agree with the index's planes and centring.</summary>
    public void RequireSameAs(SupportIndex index, string source, ParseResult parse)
    {
        var has = HashingChoice.Of(index);
        if (parse.GetValue(Planes) is { } n && n != has.Planes) throw Mismatch(source, has, $"--planes {n}");
        if (parse.GetValue(Hash) is { } h && HashFamilies.Get(h) != has.Family) throw Mismatch(source, has, $"--hash {h}");
        if (parse.GetValue(Seed) is { } s && s != has.Seed) throw Mismatch(source, has, $"--seed {s}");
        if (parse.GetValue(Center) is { } c && CommonOptions.ParseOnOff(c, "--center") != has.Center) throw Mismatch(source, has, $"--center {c}");
    }

    private static IndexFormatException Mismatch(string source, HashingChoice has, string asked) =>
        new(source, $"the index has {has.Describe()}, which does not match {asked}");
}
