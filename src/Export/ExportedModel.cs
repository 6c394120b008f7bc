using Lshk.Nn;
using Lshk.Nn.ModelFiles;

namespace Lshk.Export;

/// <summary>
/// What the images go through before the network, as the graph reproduces it: inversion (x ← 1 − x, for models
/// trained on dark strokes on light paper) and per-channel normalisation (x ← (x − mean) / std, either part
/// optional). lshk inverts before resizing and normalises after; inversion commutes with the area resize (its
/// weights sum to 1), so the graph applies both to the resized [0, 1] image.
/// </summary>
public sealed record InputPreparation(bool Invert, float[]? Mean = null, float[]? Std = null)
{
    public static InputPreparation None { get; } = new(Invert: false);
}

/// <summary>
/// A loaded model to export: its network (in layer order, with the saved parameters and running statistics), its
/// architecture, how its images are prepared, its stored hash planes (null when none) and its file's metadata and
/// SHA-256, which go into the ONNX file's metadata so an lshk index can be matched with the file.
/// </summary>
public sealed record ExportedModel(string Source, Sequential Network, ConvNetConfig Config, InputPreparation Preparation,
    StoredPlanes? Planes, IReadOnlyDictionary<string, string> Metadata, string Checksum);
