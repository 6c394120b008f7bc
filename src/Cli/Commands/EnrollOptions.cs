using System.CommandLine;
using Lshk.Cli.Modeling;
using Lshk.Kernels;
using Lshk.Lsh;
using Lshk.Lsh.Index;

namespace Lshk.Cli.Commands;

/// <summary>How support images are hashed, chosen by <c>enroll</c> and by <c>classify --support</c>.</summary>
internal sealed record HashingChoice(int Planes, IHashFamily Family, ulong Seed, bool Center)
{
    public string Describe() => $"{Planes} {Family.Name} planes (seed {Seed}), centring {(Center ? "on" : "off")}";
}

/// <summary>
/// Options and steps shared by enroll and classify: the hashing options (with nullable values, so an option given
/// explicitly can be checked against an existing index), loading the model, and embedding image files.
/// </summary>
internal static class EnrollOptions
{
    public const int DefaultPlanes = 256;
    public const ulong DefaultSeed = 1;

    public static Option<string> Model() => new("--model") { Description = "Model file (.safetensors) made by lshk train", Required = true };
    public static Option<int?> Planes() => new("--planes") { Description = $"Hash bits per code (hyperplanes), default {DefaultPlanes}" };
    public static Option<string?> Hash() => new("--hash") { Description = $"Plane family: {string.Join(", ", HashFamilies.Names)} (default gaussian)" };
    public static Option<ulong?> Seed() => new("--seed") { Description = $"Seed of the hyperplanes, default {DefaultSeed}" };
    public static Option<string?> Center() => new("--center") { Description = "Centre the embeddings on the support mean before hashing: on (default) or off" };

    public static HashingChoice Resolve(ParseResult parse, Option<int?> planes, Option<string?> hash, Option<ulong?> seed, Option<string?> center)
    {
        int p = parse.GetValue(planes) ?? DefaultPlanes;
        Check.Positive(p, "--planes");
        if (p > SupportIndexFile.MaxPlanes) throw new ArgumentException($"--planes {p} is more than {SupportIndexFile.MaxPlanes}");
        var family = parse.GetValue(hash) is { } h ? HashFamilies.Get(h) : PlaneFamily.Gaussian;
        bool on = parse.GetValue(center) is not { } c || ParseOnOff(c, "--center");
        return new HashingChoice(p, family, parse.GetValue(seed) ?? DefaultSeed, on);
    }

    /// <summary>Options given explicitly must agree with the index's planes and centring.</summary>
    public static void RequireSameHashing(SupportIndex index, string source, ParseResult parse, Option<int?> planes,
        Option<string?> hash, Option<ulong?> seed, Option<string?> center)
    {
        var p = index.Planes;
        string has = $"{p.Count} {p.Family.Name} planes (seed {p.Seed}), centring {(index.Center is null ? "off" : "on")}";
        if (parse.GetValue(planes) is { } n && n != p.Count) throw Mismatch(source, has, $"--planes {n}");
        if (parse.GetValue(hash) is { } h && HashFamilies.Get(h) != p.Family) throw Mismatch(source, has, $"--hash {h}");
        if (parse.GetValue(seed) is { } s && s != p.Seed) throw Mismatch(source, has, $"--seed {s}");
        if (parse.GetValue(center) is { } c && ParseOnOff(c, "--center") != index.Center is not null) throw Mismatch(source, has, $"--center {c}");
    }

    private static IndexFormatException Mismatch(string source, string has, string asked) =>
        new(source, $"the index has {has}, which does not match {asked}");

    public static bool ParseOnOff(string text, string option) => text.Trim().ToLowerInvariant() switch
    {
        "on" or "true" or "yes" or "mean" => true,
        "off" or "false" or "no" or "none" => false,
        _ => throw new ArgumentException($"{option} must be on or off (got '{text}')"),
    };

    /// <summary>The model and how its images were prepared in training.</summary>
    public static (Embedder Embedder, ImagePreprocessing Preprocessing) LoadModel(string path, IComputeBackend backend)
    {
        var embedder = Embedder.Load(path, backend);
        try
        {
            var preprocessing = ImagePreprocessing.FromMetadata(embedder.Metadata, embedder.Config.InputSize, embedder.Config.InputChannels, path);
            return (embedder, preprocessing);
        }
        catch
        {
            embedder.Dispose();
            throw;
        }
    }

    /// <summary>Reads, prepares and embeds image files (those <paramref name="keep"/> accepts) → the images and their N×D embeddings.</summary>
    public static (ImageBatch Images, float[] Embeddings) Embed(Embedder embedder, ImagePreprocessing preprocessing,
        IReadOnlyList<string> files, Func<int, byte[], bool>? keep = null)
    {
        var images = ImageFiles.Load(files, preprocessing, keep);
        return (images, embedder.Embed(images.Pixels, images.Count));
    }

    /// <summary>
    /// Embeds a support folder (one subfolder per class) → items to enrol. Files that <paramref name="skip"/>
    /// (given class and SHA-256) says are already enrolled are not decoded or embedded.
    /// </summary>
    public static SupportItems SupportItemsFrom(string folder, Embedder embedder, ImagePreprocessing preprocessing,
        Func<string, byte[], bool>? skip = null)
    {
        var classes = ImageFiles.ClassFolders(folder);
        var files = new List<string>();
        var classOf = new List<string>();
        foreach (var (name, list) in classes)
        {
            files.AddRange(list);
            classOf.AddRange(Enumerable.Repeat(name, list.Count));
        }
        var kept = new bool[files.Count];
        var (images, embeddings) = Embed(embedder, preprocessing, files,
            skip is null ? null : (i, hash) => kept[i] = !skip(classOf[i], hash));
        var keptClasses = skip is null ? classOf : classOf.Where((_, i) => kept[i]).ToList();
        return new SupportItems(keptClasses, embeddings, embedder.Dim, images.ContentHashes);
    }
}
