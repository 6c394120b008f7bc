namespace Lshk.Data.Npy;

/// <summary>
/// An n-dimensional array as stored in a .npy file: element type, C-order shape and a typed,
/// flat data array (<c>byte[]</c>, <c>int[]</c>, <c>long[]</c>, <c>float[]</c> or <c>double[]</c>).
/// The data array is shared, not copied.
/// </summary>
public sealed class NpyArray
{
    private readonly int[] _shape;

    /// <summary>A float32 array of the given shape over <paramref name="data"/>.</summary>
    public NpyArray(float[] data, params int[] shape) : this(NpyDType.Float32, data, shape) { }

    /// <summary>A float64 array of the given shape over <paramref name="data"/>.</summary>
    public NpyArray(double[] data, params int[] shape) : this(NpyDType.Float64, data, shape) { }

    /// <summary>A uint8 array of the given shape over <paramref name="data"/>.</summary>
    public NpyArray(byte[] data, params int[] shape) : this(NpyDType.UInt8, data, shape) { }

    /// <summary>An int32 array of the given shape over <paramref name="data"/>.</summary>
    public NpyArray(int[] data, params int[] shape) : this(NpyDType.Int32, data, shape) { }

    /// <summary>An int64 array of the given shape over <paramref name="data"/>.</summary>
    public NpyArray(long[] data, params int[] shape) : this(NpyDType.Int64, data, shape) { }

    private NpyArray(NpyDType dtype, Array data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        long count = CheckShape(shape);
        if (count != data.LongLength)
            throw new ArgumentException(
                $"shape {NpyText.FormatShape(shape)} holds {count} elements but the data has {data.LongLength}", nameof(shape));
        DType = dtype;
        Data = data;
        _shape = (int[])shape.Clone();
    }

    /// <summary>The element type.</summary>
    public NpyDType DType { get; }

    /// <summary>The shape (empty for a 0-d array), C order.</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>The flat, C-order data: <c>byte[]</c>, <c>int[]</c>, <c>long[]</c>, <c>float[]</c> or <c>double[]</c>.</summary>
    public Array Data { get; }

    /// <summary>The shape as Python writes it, e.g. <c>(3, 4)</c>.</summary>
    public string ShapeText => NpyText.FormatShape(_shape);

    /// <summary>The float32 data; throws <see cref="InvalidOperationException"/> for another dtype.</summary>
    public float[] AsFloat32() => Data as float[] ?? throw WrongType(NpyDType.Float32);

    /// <summary>The float64 data; throws <see cref="InvalidOperationException"/> for another dtype.</summary>
    public double[] AsFloat64() => Data as double[] ?? throw WrongType(NpyDType.Float64);

    /// <summary>The uint8 data; throws <see cref="InvalidOperationException"/> for another dtype.</summary>
    public byte[] AsUInt8() => Data as byte[] ?? throw WrongType(NpyDType.UInt8);

    /// <summary>The int32 data; throws <see cref="InvalidOperationException"/> for another dtype.</summary>
    public int[] AsInt32() => Data as int[] ?? throw WrongType(NpyDType.Int32);

    /// <summary>The int64 data; throws <see cref="InvalidOperationException"/> for another dtype.</summary>
    public long[] AsInt64() => Data as long[] ?? throw WrongType(NpyDType.Int64);

    /// <summary>
    /// The data as float32: the array itself for float32 data (not a copy), a rounded copy for
    /// float64; throws <see cref="InvalidOperationException"/> for integer data.
    /// </summary>
    public float[] ToFloat32()
    {
        switch (Data)
        {
            case float[] f: return f;
            case double[] d:
                var r = new float[d.Length];
                for (int i = 0; i < d.Length; i++) r[i] = (float)d[i];
                return r;
            default: throw WrongType(NpyDType.Float32);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{DType.TypeName()} {ShapeText}";

    private InvalidOperationException WrongType(NpyDType wanted) =>
        new($"the array holds {DType.TypeName()} ('{DType.Descr()}') data, not {wanted.TypeName()}");

    /// <summary>Checks dimensions are non-negative and returns the element count.</summary>
    internal static long CheckShape(ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension in shape {NpyText.FormatShape(shape)}", nameof(shape));
            count = Math.Min(count * d, (long)int.MaxValue + 1);
        }
        return count;
    }
}
