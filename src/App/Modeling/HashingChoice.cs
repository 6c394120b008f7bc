using Lshk.Kernels;
using Lshk.Lsh;
using Lshk.Lsh.Index;
using Lshk.Lsh.Quantization;

namespace Lshk.App.Modeling;

/// <summary>How support images are hashed into an index (enroll, and classify against a support folder).</summary>
public sealed record HashingChoice(int Planes, IHashFamily Family, ulong Seed, bool Center)
{
    public const int DefaultPlanes = 256;
    public const ulong DefaultSeed = 1;

    public static HashingChoice Default { get; } = new(DefaultPlanes, PlaneFamily.Gaussian, DefaultSeed, Center: true);

    public string Describe() => Family.Kind == HashFamilyKind.Codebook
        ? $"{Planes}-bit {Family.Name} codes (codebook seed {Seed}), centring {(Center ? "on" : "off")}"
        : $"{Planes} {Family.Name} planes (seed {Seed}), centring {(Center ? "on" : "off")}";

    /// <summary>What an existing index holds, in the same words as <see cref="Describe"/>.</summary>
    public static HashingChoice Of(SupportIndex index) => new(index.Bits, index.Family, index.Seed, index.Centred);

    /// <summary>This choice's random planes for <paramref name="dim"/>-dimensional embeddings (seeded: always the same).</summary>
    public Hyperplanes Draw(int dim) => Hyperplanes.Generate(Family, Planes, dim, Seed);

    /// <summary>
    /// Embeds a support folder (one subfolder per class) and hashes it into a new index, which records the embedder's
    /// test-time views.
    /// </summary>
    public SupportIndex Enrol(IComputeBackend backend, Embedder embedder, string folder)
    {
        var codebook = StoredCodebook(embedder, Family);
        var stored = StoredPlanes(embedder);
        var items = embedder.EmbedClassFolders(folder);
        var views = embedder.Views?.ForIndex();
        // A codebook is coded around the training mean or shifted to the supports' mean, as the centring option says.
        if (codebook is not null) return SupportIndex.Create(backend, embedder.Checksum, codebook, Center, items, views);
        // Fitted planes carry the training mean in their offsets: centring them again on the supports would move it twice.
        return stored is not null
            ? SupportIndex.Create(backend, embedder.Checksum, stored, center: false, items, views)
            : SupportIndex.Create(backend, embedder.Checksum, Draw(embedder.Dim), Center, items, views);
    }

    /// <summary>
    /// For a fitted or trained family, the planes of that family the model stores (their own count and centre, whatever
    /// <see cref="Planes"/> and <see cref="Center"/> say); null for a random family. A model without them is an error.
    /// </summary>
    public static Hyperplanes? StoredPlanes(Embedder embedder, IHashFamily family)
    {
        if (family.Kind is not (HashFamilyKind.Fitted or HashFamilyKind.Trained)) return null;
        return ModelPlanes.Of(embedder, family) ?? throw new SettingException("hash",
            $"'{family.Name}' planes are {HashFamilies.Describe(family.Kind)}, and {embedder.Source} stores none of that family");
    }

    private Hyperplanes? StoredPlanes(Embedder embedder) => StoredPlanes(embedder, Family);

    /// <summary>
    /// For a codebook family (pq, opq), the codebook of that family the model stores (lshk fit-hash; its own length,
    /// whatever <see cref="Planes"/> says); null for other families. A model without one is an error.
    /// </summary>
    public static ProductCodebook? StoredCodebook(Embedder embedder, IHashFamily family)
    {
        if (family.Kind != HashFamilyKind.Codebook) return null;
        var codebook = ModelCodebooks.Of(embedder);
        return codebook is not null && codebook.Family == family ? codebook : throw new SettingException("hash",
            $"{family.Name} codes need the model's codebook, and {embedder.Source} stores {(codebook is null ? "none" : $"a {codebook.Family.Name} one")} (fit one with lshk fit-hash)");
    }
}
