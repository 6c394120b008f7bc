using Lshk.Nn.ModelFiles;
using Onnx;
using static Lshk.Export.GraphBuilder;

namespace Lshk.Export;

/// <summary>
/// The hash layer stored with a model (<see cref="StoredPlanes"/>: hash.weight P×D, hash.bias P) as nodes after the
/// embedding: projections = embedding · weightᵀ + bias (Gemm), bits = projections ≥ 0 (lshk's sign rule: a zero
/// projection is a 1 bit), and the bits packed 8 to a byte, bit i of a code in byte i/8 at position i%8 — the
/// bytes of lshk's codes and of numpy.packbits(bits, axis=1, bitorder='little').
/// <para>Stored planes are used exactly as stored: fitted families (pca, itq) already fold the centring on the
/// training mean into hash.bias (−weight·mean), which is why lshk hashes with them without centring again.</para>
/// </summary>
internal static class HashNodes
{
    private const int BitsPerByte = 8;

    public static void Add(GraphBuilder graph, StoredPlanes planes, string embedding)
    {
        int bytes = (planes.Count + BitsPerByte - 1) / BitsPerByte;
        var projections = graph.Node("Gemm", OnnxGraphNames.Projections,
            [embedding, graph.Constant(StoredPlanes.WeightName, [planes.Count, planes.Dim], planes.Weight),
                graph.Constant(StoredPlanes.BiasName, [planes.Count], planes.Bias)],
            Int("transB", 1));
        var set = graph.Node("GreaterOrEqual", "hash.set", [projections, graph.Constant("hash.zero", [], [0f])]);
        graph.Node("Cast", OnnxGraphNames.Bits, [set], Int("to", (long)TensorProto.Types.DataType.Uint8));

        // Packing as a product with the bits' place values: byte b = Σ_{i in byte b} bit_i · 2^(i%8), an integer ≤ 255
        // that float32 holds exactly whatever the summation order.
        var placeValues = new float[planes.Count * bytes];
        for (int i = 0; i < planes.Count; i++) placeValues[i * bytes + i / BitsPerByte] = 1 << (i % BitsPerByte);
        var asFloat = graph.Node("Cast", "hash.set_float", [set], Int("to", (long)TensorProto.Types.DataType.Float));
        var packed = graph.Node("MatMul", "hash.packed", [asFloat, graph.Constant("hash.place_values", [planes.Count, bytes], placeValues)]);
        graph.Node("Cast", OnnxGraphNames.Codes, [packed], Int("to", (long)TensorProto.Types.DataType.Uint8));

        graph.Output(OnnxGraphNames.Projections, TensorProto.Types.DataType.Float, OnnxGraphNames.Batch, planes.Count);
        graph.Output(OnnxGraphNames.Bits, TensorProto.Types.DataType.Uint8, OnnxGraphNames.Batch, planes.Count);
        graph.Output(OnnxGraphNames.Codes, TensorProto.Types.DataType.Uint8, OnnxGraphNames.Batch, bytes);
    }
}
