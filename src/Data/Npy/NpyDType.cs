namespace Lshk.Data.Npy;

/// <summary>The element types this reader/writer supports (all little-endian).</summary>
public enum NpyDType
{
    /// <summary>8-bit unsigned integer, descr <c>'|u1'</c> (also read as <c>'&lt;u1'</c>).</summary>
    UInt8,
    /// <summary>32-bit signed integer, descr <c>'&lt;i4'</c>.</summary>
    Int32,
    /// <summary>64-bit signed integer, descr <c>'&lt;i8'</c>.</summary>
    Int64,
    /// <summary>32-bit IEEE float, descr <c>'&lt;f4'</c>.</summary>
    Float32,
    /// <summary>64-bit IEEE float, descr <c>'&lt;f8'</c>.</summary>
    Float64,
}

/// <summary>Facts about <see cref="NpyDType"/> values.</summary>
public static class NpyDTypeExtensions
{
    /// <summary>One row per dtype, in enum order: bytes per element, numpy's descr and name, and the CLR element type.</summary>
    private static readonly (int ItemSize, string Descr, string TypeName, Type ElementType)[] Facts =
    [
        (1, "|u1", "uint8", typeof(byte)),
        (4, "<i4", "int32", typeof(int)),
        (8, "<i8", "int64", typeof(long)),
        (4, "<f4", "float32", typeof(float)),
        (8, "<f8", "float64", typeof(double)),
    ];

    private static (int ItemSize, string Descr, string TypeName, Type ElementType) Of(NpyDType dtype) =>
        (uint)dtype < (uint)Facts.Length ? Facts[(int)dtype] : throw new ArgumentOutOfRangeException(nameof(dtype));

    /// <summary>Bytes per element.</summary>
    public static int ItemSize(this NpyDType dtype) => Of(dtype).ItemSize;

    /// <summary>The descr string numpy writes for this type, e.g. <c>&lt;f4</c> or <c>|u1</c>.</summary>
    public static string Descr(this NpyDType dtype) => Of(dtype).Descr;

    /// <summary>numpy's name for the type, e.g. <c>float32</c>.</summary>
    public static string TypeName(this NpyDType dtype) => Of(dtype).TypeName;

    /// <summary>The CLR element type of arrays of this dtype.</summary>
    public static Type ElementType(this NpyDType dtype) => Of(dtype).ElementType;

    /// <summary>
    /// Maps a descr string to a supported dtype. Returns null with a one-line reason when the descr
    /// is big-endian or not one of the supported types.
    /// </summary>
    internal static NpyDType? FromDescr(string descr, out string? problem)
    {
        problem = null;
        switch (descr)
        {
            case "<f4": return NpyDType.Float32;
            case "<f8": return NpyDType.Float64;
            case "<i4": return NpyDType.Int32;
            case "<i8": return NpyDType.Int64;
            // One byte has no byte order: numpy writes '|u1', other writers '<u1'; all mean the same.
            case "|u1": case "<u1": case ">u1": case "=u1": case "u1": return NpyDType.UInt8;
        }
        string shown = NpyText.Quote(descr);
        if (descr.Length > 1 && descr[0] == '>')
            problem = $"big-endian dtype {shown} is not supported (save little-endian data, e.g. array.astype('<{descr[1..]}'))";
        else
            problem = $"unsupported dtype {shown} (supported: '<f4', '<f8', '|u1', '<i4', '<i8')";
        return null;
    }
}
