using System.Text;
using Lshk.Data.Npy;

namespace Lshk.Tests.Data;

/// <summary>Valid files that numpy (any version) or other writers may produce, read by the reader.</summary>
public sealed class NpyHeaderVariantsTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private NpyArray ReadBytes(byte[] bytes, string name = "v.npy")
    {
        string path = _tmp.File(name);
        File.WriteAllBytes(path, bytes);
        return NpyFile.Read(path);
    }

    private static readonly float[] Six = [1.5f, -2f, 3.25f, 0f, float.MaxValue, -7f];

    [Fact]
    public void ReadsVersion2Header()
    {
        byte[] header = NpyBytes.Header(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
        Assert.Equal(2, header[6]);
        Assert.Equal(0, header.Length % 64);
        NpyArray a = ReadBytes(NpyBytes.Concat(header, NpyBytes.LE(Six)));
        Assert.Equal(new[] { 2, 3 }, a.Shape);
        Assert.Equal(Six, a.AsFloat32());
        Assert.Equal(2, NpyFile.ReadHeader(_tmp.File("v.npy")).MajorVersion);
        Assert.Equal(header.Length, NpyFile.ReadHeader(_tmp.File("v.npy")).DataOffset);
    }

    [Fact]
    public void ReadsVersion3Utf8Header()
    {
        // Version 3.0 differs from 2.0 only in the header's encoding (UTF-8 instead of Latin-1).
        byte[] header = NpyBytes.Header(3, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", encoding: Encoding.UTF8);
        NpyArray a = ReadBytes(NpyBytes.Concat(header, NpyBytes.LE(new long[] { -1, 0, long.MaxValue })));
        Assert.Equal(new long[] { -1, 0, long.MaxValue }, a.AsInt64());
        Assert.Equal(3, NpyFile.ReadHeader(_tmp.File("v.npy")).MajorVersion);
    }

    [Fact]
    public void Version3HeaderMayHoldUtf8InStrings()
    {
        // Only a string can hold non-ASCII text; an unsupported descr shows whether it was decoded as UTF-8.
        byte[] header = NpyBytes.Header(3, "{'descr': '<é4', 'fortran_order': False, 'shape': (1,), }", encoding: Encoding.UTF8);
        var e = Assert.Throws<NpyFormatException>(() => ReadBytes(NpyBytes.Concat(header, new byte[4])));
        Assert.Contains("'<é4'", e.Message);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(1)] // no alignment at all: numpy reads it, and so do we
    [InlineData(4096)]
    public void ReadsOtherAlignments(int alignment)
    {
        byte[] header = NpyBytes.Header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", alignment);
        if (alignment > 1) Assert.Equal(0, header.Length % alignment);
        NpyArray a = ReadBytes(NpyBytes.Concat(header, NpyBytes.LE(Six)));
        Assert.Equal(Six, a.AsFloat32());
    }

    [Theory]
    [InlineData("{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}")] // other key order, no trailing comma
    [InlineData("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}")] // double quotes
    [InlineData("{'descr':'<f4','fortran_order':False,'shape':(2,3)}")] // no spaces
    [InlineData("{'descr': '<f4',\n 'fortran_order': False,\n 'shape': (2, 3,),\n}")] // newlines, trailing commas
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }")] // Python 2 longs
    [InlineData("\t{'descr': '<f4', 'fortran_order': False, 'shape': ( 2 , 3 ) }  ")]
    public void ReadsOtherDictSpellings(string dict)
    {
        NpyArray a = ReadBytes(NpyBytes.Concat(NpyBytes.Header(1, dict), NpyBytes.LE(Six)));
        Assert.Equal(new[] { 2, 3 }, a.Shape);
        Assert.Equal(Six, a.AsFloat32());
    }

    [Theory]
    [InlineData("|u1")]
    [InlineData("<u1")]
    public void ReadsBothSpellingsOfUInt8(string descr)
    {
        byte[] header = NpyBytes.Header(1, $"{{'descr': '{descr}', 'fortran_order': False, 'shape': (2, 2), }}");
        NpyArray a = ReadBytes(NpyBytes.Concat(header, new byte[] { 1, 2, 3, 255 }));
        Assert.Equal(NpyDType.UInt8, a.DType);
        Assert.Equal(new byte[] { 1, 2, 3, 255 }, a.AsUInt8());
        var (data, rows, cols) = NpyFile.ReadUInt8Matrix(_tmp.File("v.npy"));
        Assert.Equal((2, 2), (rows, cols));
        Assert.Equal(new byte[] { 1, 2, 3, 255 }, data);
    }

    [Fact]
    public void ReadsZeroDimensionalAndEmptyArrays()
    {
        NpyArray scalar = ReadBytes(NpyBytes.Concat(NpyBytes.Header(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }"), NpyBytes.LE(new[] { 2.5 })));
        Assert.Equal(0, scalar.Rank);
        Assert.Equal(new[] { 2.5 }, scalar.AsFloat64());

        NpyArray empty = ReadBytes(NpyBytes.Header(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (0, 1000000, 1000000), }"));
        Assert.Equal(new[] { 0, 1000000, 1000000 }, empty.Shape);
        Assert.Empty(empty.AsInt32());
    }
}
