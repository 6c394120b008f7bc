namespace Lshk.Export;

/// <summary>The names of the exported graph's input and outputs: what a user of the .onnx file feeds and fetches.</summary>
public static class OnnxGraphNames
{
    /// <summary>float32 N×C×S×S: images scaled to [0, 1] and resized, before any inversion or normalisation (the graph does both).</summary>
    public const string Image = "image";

    /// <summary>float32 N×D: the embedding lshk's Embedder computes.</summary>
    public const string Embedding = "embedding";

    /// <summary>float32 N×P: dot(plane_i, embedding) + offset_i for the stored planes (with hash).</summary>
    public const string Projections = "projections";

    /// <summary>uint8 N×P: 1 where the projection is ≥ 0, else 0 (with hash).</summary>
    public const string Bits = "bits";

    /// <summary>uint8 N×⌈P/8⌉: the bits packed little-endian within each byte, numpy.packbits(bits, axis=1, bitorder='little') (with hash).</summary>
    public const string Codes = "codes";

    /// <summary>The symbolic batch dimension.</summary>
    public const string Batch = "batch";
}
