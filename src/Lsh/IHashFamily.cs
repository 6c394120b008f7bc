namespace Lshk.Lsh;

/// <summary>
/// A named way of making hyperplanes: drawn from a seed (<see cref="IRandomHashFamily"/>), fitted once to training
/// embeddings (<see cref="IFittedHashFamily"/>), or fitted to each episode's labelled support set
/// (<see cref="IEpisodeHashFamily"/>) — or, for <see cref="ICodebookFamily"/>, a product-quantiser codebook instead of
/// planes. A family is one file implementing one of those, plus one line in <see cref="HashFamilies"/>; everything
/// else (hashing, matching, storing) works on the <see cref="Hyperplanes"/> (or codebook) it produces, which name it.
/// </summary>
public interface IHashFamily
{
    /// <summary>The registry name, stored in index and model files: lowercase letters, digits and '-'.</summary>
    string Name { get; }

    /// <summary>Other names that resolve to this family when parsing (never stored).</summary>
    IReadOnlyList<string> Aliases { get; }

    /// <summary>Where the planes come from, which decides who can use the family (see <see cref="HashFamilyKinds"/>).</summary>
    HashFamilyKind Kind { get; }

    /// <summary>One line for help texts and listings.</summary>
    string Summary { get; }
}

/// <summary>A family whose planes are a pure function of (P, D, seed, options).</summary>
public interface IRandomHashFamily : IHashFamily
{
    Hyperplanes Draw(int planes, int dim, ulong seed, PlaneDrawOptions options);
}

/// <summary>
/// A family fitted once to embeddings of the training classes (never the evaluation classes), e.g. PCA or ITQ.
/// A centre the fit subtracts (the training mean) goes into the planes' offsets, so hashing needs nothing else.
/// </summary>
public interface IFittedHashFamily : IHashFamily
{
    /// <summary>Fits P planes to N×D row-major <paramref name="embeddings"/>; deterministic in its arguments.</summary>
    Hyperplanes Fit(ReadOnlySpan<float> embeddings, int dim, int planes, ulong seed);
}

/// <summary>
/// A family fitted to one episode's support set and its labels, e.g. one-vs-rest linear classifiers. Its planes
/// depend on the episode's class set, so they cannot serve an index that grows by enrolment.
/// </summary>
public interface IEpisodeHashFamily : IHashFamily
{
    /// <summary>
    /// Fits planes to N×D row-major <paramref name="support"/> embeddings with class ids in [0, <paramref name="classes"/>).
    /// <paramref name="planes"/> is the requested code length; a family whose length follows the classes (one plane
    /// per class) may round it, and the returned <see cref="Hyperplanes.Count"/> is what it made.
    /// </summary>
    Hyperplanes Fit(ReadOnlySpan<float> support, int dim, ReadOnlySpan<int> labels, int classes, int planes, ulong seed);
}

/// <summary>
/// A family whose codes are not signs of projections but product-quantiser codes (<see cref="Quantization.ProductCodebook"/>):
/// fitted once to training embeddings, like <see cref="IFittedHashFamily"/>, and scored only asymmetrically.
/// </summary>
public interface ICodebookFamily : IHashFamily
{
    /// <summary>Fits a codebook of <paramref name="bits"/> bits per code to N×D row-major embeddings; deterministic in its arguments.</summary>
    Quantization.ProductCodebook Fit(ReadOnlySpan<float> embeddings, int dim, int bits, ulong seed);
}

/// <summary>Options of drawing random planes. <see cref="Range"/> is R of an integer family (entries in [-R, R)).</summary>
public sealed record PlaneDrawOptions(bool Offsets = false, int Range = PlaneDrawOptions.DefaultRange, float OffsetScale = 1f)
{
    public const int DefaultRange = 2;

    public static PlaneDrawOptions Default { get; } = new();
}
