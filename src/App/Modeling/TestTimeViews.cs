using Lshk.Data.Imaging;
using Lshk.Lsh.Index;

namespace Lshk.App.Modeling;

/// <summary>
/// Test-time views: an image's embedding taken as the mean of the network's embeddings of the image itself and of
/// <see cref="Count"/> − 1 distorted copies of it (<see cref="Embedder.Views"/>). Why: a one-shot support is one
/// drawing of its character, and where an embedding lies close to a hash plane, sign() decides its bit by the
/// writer's slant or a pixel's shift; the mean over small distortions is the image's embedding with those accidents
/// averaged out, so a code's bits depend less on them. On a network trained with the same kind of distortions
/// (<c>lshk train --augment</c>) it lifts 64-bit pure Hamming matching more than it lifts float cosine (bench/RESULTS.md,
/// "Test-time views"); on a network trained without them it loses a little everywhere. It costs
/// <see cref="Count"/> forward passes per image when an image is embedded, and nothing at matching time: supports
/// stay P bits.
///
/// View v ≥ 1 distorts every image by the same transform, drawn from (<see cref="Seed"/>, v), so an image's embedding
/// depends on the image alone, not on the batch it came in or its place there: enrolment and classification embed
/// the same file identically.
/// </summary>
public sealed record TestTimeViews
{
    /// <summary>The views' distortions when none are named: 1.5 × the Omniglot training augmentation's limits.</summary>
    public const string DefaultDistortion = "shift:1.5,rotate:15,scale:0.15,shear:0.15";

    /// <summary>The most views an image may be embedded under.</summary>
    public const int MaxCount = 256;

    /// <summary>The seed every view's transform is drawn from (fixed: it is part of what an embedding means).</summary>
    public const ulong Seed = 0x5649455753UL; // "VIEWS"

    public TestTimeViews(int count, RandomAffine distortion)
    {
        if (count < 1 || count > MaxCount) throw new ArgumentOutOfRangeException(nameof(count), count, $"views must be 1 to {MaxCount}");
        Count = count;
        Distortion = distortion ?? throw new ArgumentNullException(nameof(distortion));
    }

    /// <summary>Views per image, the image itself included (1: the image alone).</summary>
    public int Count { get; }

    /// <summary>The limits the views' transforms are drawn within.</summary>
    public RandomAffine Distortion { get; }

    /// <summary>The transform of view <paramref name="view"/> (1 to Count − 1; view 0 is the image itself).</summary>
    public AffineTransform Transform(int view) =>
        view >= 1 && view < Count ? Distortion.Draw(Seed, view, 0) : throw new ArgumentOutOfRangeException(nameof(view));

    /// <summary>For files and tables: "1", or the count and the distortion, as "16 × shift:1.5,rotate:15,…".</summary>
    public string Describe() => Count == 1 ? "1" : $"{Count} × {Distortion.Describe()}";

    /// <summary>What an index stores of these views (null for a count of 1: no views).</summary>
    public EmbeddingViews? ForIndex() => Count == 1 ? null : new EmbeddingViews(Count, Distortion.Describe());

    /// <summary>
    /// The views an index's supports were embedded under (null: none), so that queries and additions are embedded the
    /// same way. Stored text that does not parse is an <see cref="IndexFormatException"/> naming <paramref name="source"/>.
    /// </summary>
    public static TestTimeViews? Of(SupportIndex index, string source)
    {
        if (index.Views is not { } stored) return null;
        try
        {
            return Parse(stored.Count, stored.Distortion);
        }
        catch (FormatException e)
        {
            throw new IndexFormatException(source, $"its views cannot be used: {e.Message}");
        }
    }

    /// <summary>
    /// Parses the count and the distortion (<see cref="RandomAffine.Parse"/>; null: <see cref="DefaultDistortion"/>);
    /// a bad value throws <see cref="FormatException"/> with a one-line reason.
    /// </summary>
    public static TestTimeViews Parse(int count, string? distortion)
    {
        if (count < 1 || count > MaxCount) throw new FormatException($"the views must be 1 to {MaxCount} (got {count})");
        var affine = RandomAffine.Parse(distortion ?? DefaultDistortion)
            ?? throw new FormatException("the views need a distortion: 'none' would give copies of the image itself");
        return new TestTimeViews(count, affine);
    }
}
