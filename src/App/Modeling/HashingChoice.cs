using Lshk.Kernels;
using Lshk.Lsh;
using Lshk.Lsh.Index;

namespace Lshk.App.Modeling;

/// <summary>How support images are hashed into an index (enroll, and classify against a support folder).</summary>
public sealed record HashingChoice(int Planes, IHashFamily Family, ulong Seed, bool Center)
{
    public const int DefaultPlanes = 256;
    public const ulong DefaultSeed = 1;

    public static HashingChoice Default { get; } = new(DefaultPlanes, PlaneFamily.Gaussian, DefaultSeed, Center: true);

    public string Describe() => $"{Planes} {Family.Name} planes (seed {Seed}), centring {(Center ? "on" : "off")}";

    /// <summary>What an existing index holds, in the same words as <see cref="Describe"/>.</summary>
    public static HashingChoice Of(SupportIndex index) => new(index.Planes.Count, index.Planes.Family, index.Planes.Seed, index.Center is not null);

    /// <summary>Embeds a support folder (one subfolder per class) and hashes it into a new index.</summary>
    public SupportIndex Enrol(IComputeBackend backend, Embedder embedder, string folder)
    {
        var items = embedder.EmbedClassFolders(folder);
        var hyperplanes = Hyperplanes.Generate(Family, Planes, embedder.Dim, Seed);
        return SupportIndex.Create(backend, embedder.Checksum, hyperplanes, Center, items);
    }
}
