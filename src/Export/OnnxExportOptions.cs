namespace Lshk.Export;

/// <summary>
/// What to export: the ONNX operator set to target, and whether to add the stored hash planes as outputs
/// (<see cref="OnnxGraphNames.Projections"/>, <see cref="OnnxGraphNames.Bits"/>, <see cref="OnnxGraphNames.Codes"/>).
/// </summary>
public sealed record OnnxExportOptions(int Opset = OnnxExportOptions.DefaultOpset, bool WithHash = false)
{
    /// <summary>
    /// The newest opset of ONNX 1.12, the release whose onnx.proto Debian's libonnx-dev installs (IR version 8), so a
    /// runtime built on that release reads the default file too.
    /// </summary>
    public const int DefaultOpset = 17;

    /// <summary>Every operator the exporter writes has had the semantics it relies on since opset 13 (Gemm, Cast, Flatten).</summary>
    public const int MinOpset = 13;

    /// <summary>The newest opset the tests run in ONNX Runtime; none of our operators changed meaning up to it.</summary>
    public const int MaxOpset = 21;

    /// <summary>Throws a one-line <see cref="ArgumentOutOfRangeException"/> for an opset outside [MinOpset, MaxOpset].</summary>
    public void Validate()
    {
        if (Opset is < MinOpset or > MaxOpset)
            throw new ArgumentOutOfRangeException(nameof(Opset), Opset, $"opset {Opset} is not supported (give {MinOpset} to {MaxOpset})");
    }

    /// <summary>
    /// The IR version a file of this opset declares: the one the ONNX release that introduced the opset writes
    /// (1.12–1.13: 8, 1.14–1.15: 9, 1.16: 10), so a runtime that knows the opset also accepts the file.
    /// </summary>
    public long IrVersion => Opset switch
    {
        <= 18 => 8,
        <= 20 => 9,
        _ => 10,
    };
}
