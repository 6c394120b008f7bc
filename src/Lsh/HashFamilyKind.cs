namespace Lshk.Lsh;

/// <summary>Where a family's planes come from.</summary>
public enum HashFamilyKind
{
    /// <summary>Drawn from a seed: <see cref="IRandomHashFamily"/>.</summary>
    Random,
    /// <summary>Fitted once to training embeddings and stored: <see cref="IFittedHashFamily"/>.</summary>
    Fitted,
    /// <summary>Fitted to each episode's labelled support set: <see cref="IEpisodeHashFamily"/>.</summary>
    PerEpisode,
    /// <summary>Trained with the network and stored in the model (at the one length it was trained at); nothing draws or fits them.</summary>
    Trained,
    /// <summary>
    /// Not planes but product-quantiser codebooks fitted once to training embeddings (<see cref="ICodebookFamily"/>):
    /// codes of one byte per subspace, scored only asymmetrically (the query kept real).
    /// </summary>
    Codebook,
}

/// <summary>What each kind of family can serve.</summary>
public static class HashFamilyKinds
{
    /// <summary>
    /// Whether a support index (which grows by adding classes and keeps its planes) can hold planes of this kind.
    /// Per-episode planes separate one fixed class set, so a class added later would have no plane of its own.
    /// </summary>
    /// Codebooks are stored too, as a codebook and its codes (<see cref="Index.SupportIndexFile"/> version 4), never as planes.
    public static bool StorableInIndex(this HashFamilyKind kind) => kind is not HashFamilyKind.PerEpisode;

    /// <summary>Throws an <see cref="Lshk.Core.InputException"/>, with the one-line reason, if an index cannot hold the family's planes.</summary>
    public static void RequireStorableInIndex(IHashFamily family)
    {
        if (family.Kind == HashFamilyKind.Codebook)
            throw new Lshk.Core.InputException($"hash family '{family.Name}' makes product-quantiser codes, not planes: " +
                                        "an index holds them with the model's codebook");
        if (!family.Kind.StorableInIndex())
            throw new Lshk.Core.InputException($"hash family '{family.Name}' fits its planes to one episode's classes, " +
                                        "so a support index (which can gain classes) cannot use it");
    }
}
