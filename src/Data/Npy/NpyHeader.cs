using System.Numerics;

namespace Lshk.Data.Npy;

/// <summary>What a .npy header says: format version, element type, shape and where the data starts.</summary>
public sealed class NpyHeader
{
    private readonly int[] _shape;

    internal NpyHeader(int majorVersion, int minorVersion, NpyDType dtype, int[] shape, long dataOffset)
    {
        MajorVersion = majorVersion;
        MinorVersion = minorVersion;
        DType = dtype;
        _shape = shape;
        DataOffset = dataOffset;
        long count = 1;
        foreach (int d in shape) count *= d; // bounded by the caller: at most Array.MaxLength
        ElementCount = count;
    }

    /// <summary>Format major version: 1, 2 or 3.</summary>
    public int MajorVersion { get; }

    /// <summary>Format minor version (always 0 today).</summary>
    public int MinorVersion { get; }

    /// <summary>The element type.</summary>
    public NpyDType DType { get; }

    /// <summary>The shape (empty for a 0-d array), C order.</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements (the product of the shape; 1 for a 0-d array).</summary>
    public long ElementCount { get; }

    /// <summary>Bytes of array data after the header.</summary>
    public long DataLength => ElementCount * DType.ItemSize();

    /// <summary>Byte offset of the first data byte in the file.</summary>
    public long DataOffset { get; }

    /// <summary>The shape as Python writes it, e.g. <c>(3, 4)</c> or <c>(5,)</c>.</summary>
    public string ShapeText => NpyText.FormatShape(_shape);

    internal int[] ShapeArray => _shape;

    /// <inheritdoc/>
    public override string ToString() => $"npy v{MajorVersion}.{MinorVersion} {DType.Descr()} {ShapeText}";

    /// <summary>
    /// Validates a decoded header text and returns the header, or returns null with a one-line problem.
    /// </summary>
    internal static NpyHeader? FromText(string text, int major, int minor, long dataOffset, out string? problem)
    {
        object literal;
        try
        {
            literal = NpyHeaderLiteral.Parse(text);
        }
        catch (NpyHeaderLiteral.HeaderSyntaxException e)
        {
            problem = "malformed header dict: " + e.Message;
            return null;
        }
        if (literal is not NpyHeaderLiteral.Dict dict)
        {
            problem = "malformed header: it is not a dict";
            return null;
        }

        object? descr = null, fortran = null, shapeValue = null;
        bool hasDescr = false, hasFortran = false, hasShape = false;
        foreach (var (key, value) in dict.Entries)
        {
            switch (key)
            {
                case "descr": descr = value; hasDescr = true; break;
                case "fortran_order": fortran = value; hasFortran = true; break;
                case "shape": shapeValue = value; hasShape = true; break;
                default:
                    problem = $"malformed header dict: unexpected key {NpyText.Quote(key)} (expected 'descr', 'fortran_order', 'shape')";
                    return null;
            }
        }
        string? missing = !hasDescr ? "descr" : !hasFortran ? "fortran_order" : !hasShape ? "shape" : null;
        if (missing != null)
        {
            problem = $"malformed header dict: key '{missing}' is missing";
            return null;
        }

        if (descr is NpyHeaderLiteral.List)
        {
            problem = "unsupported dtype: structured (record) dtypes are not supported";
            return null;
        }
        if (descr is not string descrText)
        {
            problem = "malformed header dict: 'descr' is not a string";
            return null;
        }
        NpyDType? dtype = NpyDTypeExtensions.FromDescr(descrText, out problem);
        if (dtype is null) return null;

        if (fortran is not bool fortranOrder)
        {
            problem = "malformed header dict: 'fortran_order' is not True or False";
            return null;
        }
        if (fortranOrder)
        {
            problem = "fortran_order True (column-major data) is not supported; save a C-ordered array (numpy.ascontiguousarray)";
            return null;
        }

        if (shapeValue is not NpyHeaderLiteral.Tuple tuple)
        {
            problem = "malformed header dict: 'shape' is not a tuple of integers";
            return null;
        }
        var shape = new int[tuple.Items.Count];
        long count = 1; // saturates just above Array.MaxLength; a zero dimension makes it 0 for good
        const long cap = (long)int.MaxValue + 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (tuple.Items[i] is not BigInteger dim)
            {
                problem = "malformed header dict: 'shape' is not a tuple of integers";
                return null;
            }
            if (dim.Sign < 0)
            {
                problem = $"negative dimension {dim} in shape";
                return null;
            }
            if (dim > int.MaxValue)
            {
                problem = $"dimension {dim} in shape is too large (at most {int.MaxValue})";
                return null;
            }
            shape[i] = (int)dim;
            count = Math.Min(count * shape[i], cap);
        }
        if (count > Array.MaxLength)
        {
            problem = $"shape {NpyText.Shorten(NpyText.FormatShape(shape))} has more elements than the {Array.MaxLength} one array can hold";
            return null;
        }
        problem = null;
        return new NpyHeader(major, minor, dtype.Value, shape, dataOffset);
    }
}
