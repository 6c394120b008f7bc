using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace Lshk.Export;

/// <summary>
/// Adds nodes, constant tensors (initializers) and typed inputs/outputs to an ONNX graph (types generated from the
/// official onnx.proto), naming every node after the value it produces.
/// </summary>
internal sealed class GraphBuilder(string name)
{
    public GraphProto Graph { get; } = new() { Name = name };

    /// <summary>Adds node <paramref name="opType"/> reading <paramref name="inputs"/>; returns the name of its (single) output.</summary>
    public string Node(string opType, string output, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return output;
    }

    /// <summary>A float32 constant; the values are stored as raw little-endian bytes, as ONNX specifies.</summary>
    public string Constant(string tensorName, long[] dims, ReadOnlySpan<float> values)
    {
        if (values.Length != dims.Aggregate(1L, (a, b) => a * b))
            throw new ArgumentException($"constant '{tensorName}' has {values.Length} values for shape [{string.Join(", ", dims)}]");
        var tensor = new TensorProto { Name = tensorName, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        Graph.Initializer.Add(tensor);
        return tensorName;
    }

    public void Input(string valueName, TensorProto.Types.DataType type, params object[] dims) => Graph.Input.Add(Value(valueName, type, dims));

    public void Output(string valueName, TensorProto.Types.DataType type, params object[] dims) => Graph.Output.Add(Value(valueName, type, dims));

    /// <summary>A typed tensor value; each dimension is a fixed size (int) or a symbolic name (string).</summary>
    private static ValueInfoProto Value(string valueName, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d switch
            {
                int size => new TensorShapeProto.Types.Dimension { DimValue = size },
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                _ => throw new ArgumentException($"dimension {d} is neither a size nor a name"),
            });
        return new ValueInfoProto
        {
            Name = valueName,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    public static AttributeProto Int(string attribute, long value) =>
        new() { Name = attribute, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string attribute, float value) =>
        new() { Name = attribute, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Ints(string attribute, params long[] values)
    {
        var a = new AttributeProto { Name = attribute, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }
}
