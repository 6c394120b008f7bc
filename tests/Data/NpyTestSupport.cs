using System.Buffers.Binary;
using System.Text;

namespace Lshk.Tests.Data;

/// <summary>A temporary folder deleted when the test class is disposed.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "lshk-npy-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// Builds .npy bytes by hand, independently of the code under test: the rules here are numpy's
/// (numpy/lib/format.py: sorted-key dict text, 21-digit growth space, padding to 64 bytes with a
/// final newline, version 2.0 only when the header does not fit a 16-bit length).
/// </summary>
internal static class NpyBytes
{
    public static readonly byte[] Magic = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]; // \x93NUMPY

    public static string ShapeRepr(int[] shape) => shape.Length switch
    {
        0 => "()",
        1 => $"({shape[0]},)",
        _ => "(" + string.Join(", ", shape) + ")",
    };

    /// <summary>The dict text numpy.save writes, without padding.</summary>
    public static string NumpyDict(string descr, int[] shape)
    {
        string s = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + ShapeRepr(shape) + ", }";
        if (shape.Length > 0) s += new string(' ', 21 - shape[0].ToString().Length);
        return s;
    }

    /// <summary>What numpy.save writes before the data.</summary>
    public static byte[] NumpyHeader(string descr, int[] shape)
    {
        byte[] dict = Encoding.ASCII.GetBytes(NumpyDict(descr, shape));
        int hlen = dict.Length + 1;
        int pad = 64 - (10 + hlen) % 64;
        if (hlen + pad <= 65535) return Build(1, dict, pad, alignment: 64);
        pad = 64 - (12 + hlen) % 64;
        return Build(2, dict, pad, alignment: 64);
    }

    /// <summary>A header of any version with any dict text, padded to <paramref name="alignment"/> with spaces and '\n'.</summary>
    public static byte[] Header(int major, string dictText, int alignment = 64, Encoding? encoding = null)
    {
        byte[] dict = (encoding ?? Encoding.Latin1).GetBytes(dictText);
        int prefix = major == 1 ? 10 : 12;
        int pad = alignment <= 1 ? 0 : (alignment - (prefix + dict.Length + 1) % alignment) % alignment;
        return Build(major, dict, pad, alignment);
    }

    private static byte[] Build(int major, byte[] dict, int pad, int alignment)
    {
        int prefix = major == 1 ? 10 : 12;
        int hlen = dict.Length + pad + 1;
        var bytes = new byte[prefix + hlen];
        Magic.CopyTo(bytes, 0);
        bytes[6] = (byte)major;
        bytes[7] = 0;
        if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)hlen);
        else BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)hlen);
        dict.CopyTo(bytes, prefix);
        for (int i = 0; i < pad; i++) bytes[prefix + dict.Length + i] = (byte)' ';
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    public static byte[] Concat(params byte[][] parts)
    {
        var all = new byte[parts.Sum(p => p.Length)];
        int at = 0;
        foreach (var p in parts) { p.CopyTo(all, at); at += p.Length; }
        return all;
    }

    // Little-endian data, element by element (not via MemoryMarshal as the code under test does).
    public static byte[] LE(float[] v) { var b = new byte[v.Length * 4]; for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), v[i]); return b; }
    public static byte[] LE(double[] v) { var b = new byte[v.Length * 8]; for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(b.AsSpan(8 * i), v[i]); return b; }
    public static byte[] LE(int[] v) { var b = new byte[v.Length * 4]; for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4 * i), v[i]); return b; }
    public static byte[] LE(long[] v) { var b = new byte[v.Length * 8]; for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(8 * i), v[i]); return b; }

    public static int Product(int[] shape) { int n = 1; foreach (int d in shape) n *= d; return n; }
}
