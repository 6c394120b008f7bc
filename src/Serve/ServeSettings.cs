namespace Lshk.Serve;

/// <summary>
/// What <c>lshk serve</c> was asked for. <see cref="IndexPath"/> is the index file the service keeps: loaded when it
/// exists, else started empty (or from <see cref="SupportFolder"/>) and written at the first change.
/// </summary>
public sealed record ServeSettings(string ModelPath, string IndexPath)
{
    /// <summary>Port to listen on; 0 lets the system pick one (printed at start).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>Address to listen on: loopback unless asked otherwise, so nothing is exposed by accident.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Support folder (one subfolder of images per class) enrolled when the index file does not exist yet.</summary>
    public string? SupportFolder { get; init; }

    /// <summary>When set, writes (enrol, delete) need <c>Authorization: Bearer TOKEN</c>.</summary>
    public string? Token { get; init; }

    /// <summary>Open-set threshold for the hamming method, in bits: an image whose best score is below it gets no class.</summary>
    public double? Reject { get; init; }

    /// <summary>
    /// When <see cref="Reject"/> is unset: the model's training classes to calibrate a default threshold on
    /// (<see cref="Lshk.App.Modeling.RejectCalibration"/>); null for no threshold.
    /// </summary>
    public Func<Lshk.App.Modeling.Embedder, Lshk.Data.Dataset>? CalibrationData { get; init; }

    /// <summary>
    /// Test-time views a new index is embedded under (<see cref="Lshk.App.Modeling.TestTimeViews"/>); null: none. An
    /// existing index keeps its own, which queries and enrolments then use; asking it for others is an error.
    /// </summary>
    public Lshk.App.Modeling.TestTimeViews? Views { get; init; }

    public ServeLimits Limits { get; init; } = new();
}

/// <summary>Limits on what one request may ask for; each breach is a 4xx with a JSON error.</summary>
public sealed record ServeLimits
{
    /// <summary>Largest request body: a few dozen drawings, well below what would hurt a small server.</summary>
    public long MaxBodyBytes { get; init; } = 8L << 20;

    /// <summary>Most pixels an image may declare (checked from its header, before decoding): 4096×4096.</summary>
    public long MaxImagePixels { get; init; } = 4096L * 4096;

    /// <summary>Most images in one request.</summary>
    public int MaxImagesPerRequest { get; init; } = 64;

    /// <summary>Most classes listed per image.</summary>
    public int MaxTop { get; init; } = 100;
}
