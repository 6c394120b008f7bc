using System.Text;

namespace Lshk.Lsh.Index;

/// <summary>
/// How an index's supports were embedded beyond the model itself: as the mean over <see cref="Count"/> test-time
/// views, distorted within <see cref="Distortion"/> (the application's <c>TestTimeViews</c>, which this library does
/// not know; it stores and compares them). Queries against the index must be embedded the same way, or their codes
/// would be drawn from another distribution than the supports'. An index without views stores none (null).
/// </summary>
public sealed record EmbeddingViews
{
    /// <summary>The most views a stored index may name (the field is a u16).</summary>
    public const int MaxCount = ushort.MaxValue;

    /// <summary>The longest distortion text, in UTF-8 bytes.</summary>
    public const int MaxDistortionBytes = 256;

    public EmbeddingViews(int count, string distortion)
    {
        if (count < 2 || count > MaxCount) throw new ArgumentOutOfRangeException(nameof(count), count, $"stored views must be 2 to {MaxCount} (one view is no views)");
        ArgumentException.ThrowIfNullOrWhiteSpace(distortion);
        if (Encoding.UTF8.GetByteCount(distortion) > MaxDistortionBytes)
            throw new ArgumentException($"the views' distortion is longer than {MaxDistortionBytes} bytes", nameof(distortion));
        Count = count;
        Distortion = distortion;
    }

    /// <summary>Views per image, the image itself included (at least 2).</summary>
    public int Count { get; }

    /// <summary>The distortion limits, in the application's canonical text (compared as text).</summary>
    public string Distortion { get; }

    public string Describe() => $"{Count} views ({Distortion})";

    /// <summary>"none", or <see cref="Describe"/>: for messages about an index that may have no views.</summary>
    public static string Describe(EmbeddingViews? views) => views?.Describe() ?? "no views";
}
