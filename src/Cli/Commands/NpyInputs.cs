using Lshk.Core;
using Lshk.Data.Npy;
using Lshk.Kernels;

namespace Lshk.Cli.Commands;

/// <summary>Reading the matrices the interchange commands take, with errors that name the file.</summary>
internal static class NpyInputs
{
    /// <summary>An N×D float matrix (float32, or float64 converted), every value finite.</summary>
    public static (float[] Data, int Rows, int Cols) FloatMatrix(string path, NpyArray array)
    {
        if (array.DType is not (NpyDType.Float32 or NpyDType.Float64))
            throw new InputException(path, $"expected float32 embeddings, found {array.DType.TypeName()}");
        var (rows, cols) = Matrix(path, array);
        float[] data = array.ToFloat32();
        Finite(path, data, cols);
        return (data, rows, cols);
    }

    public static (int Rows, int Cols) Matrix(string path, NpyArray array)
    {
        if (array.Rank != 2)
            throw new InputException(path, $"expected a 2-d array (rows × columns), found shape {array.ShapeText}");
        if (array.Shape[1] < 1)
            throw new InputException(path, $"rows have no columns (shape {array.ShapeText})");
        return (array.Shape[0], array.Shape[1]);
    }

    public static void Finite(string path, ReadOnlySpan<float> data, int cols)
    {
        try
        {
            Check.Finite(data, cols, "values");
        }
        catch (ArgumentException e)
        {
            // Check.Finite is a contract check; here the values come from the user's file, so it is bad input.
            throw new InputException(path, ErrorPolicy.OneLine(e), e);
        }
    }

    /// <summary>N rows of packed bytes (numpy.packbits, bitorder='little') → N×W uint words, LSB-first.</summary>
    public static uint[] BytesToWords(ReadOnlySpan<byte> bytes, int rows, int cols)
    {
        int words = (cols + 3) / 4;
        var result = new uint[(long)rows * words];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                result[(long)r * words + c / 4] |= (uint)bytes[r * cols + c] << (8 * (c % 4));
        return result;
    }

    /// <summary>N×W uint words → N rows of ⌈bits/8⌉ bytes, the inverse of <see cref="BytesToWords"/>.</summary>
    public static byte[] WordsToBytes(ReadOnlySpan<uint> codes, int rows, int bits)
    {
        int words = Check.Words(bits), cols = (bits + 7) / 8;
        var result = new byte[(long)rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                result[(long)r * cols + c] = (byte)(codes[r * words + c / 4] >> (8 * (c % 4)));
        return result;
    }
}
