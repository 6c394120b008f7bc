using System.Text;
using Lshk.Data.Npy;

namespace Lshk.Tests.Data;

/// <summary>Every way a file can be wrong ends in one NpyFormatException line naming the file and the problem.</summary>
public sealed class NpyErrorTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static byte[] V1(string dict, params byte[][] data) => NpyBytes.Concat([NpyBytes.Header(1, dict), .. data]);

    private static string Dict(string descr, string shape, string fortran = "False") =>
        $"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}";

    private static readonly byte[] Valid = V1(Dict("<f4", "(2, 3)"), new byte[24]);

    /// <summary>Reads the bytes from a file and returns the one-line message, after checking its form.</summary>
    private NpyFormatException Fails(byte[] bytes, Func<string, object>? read = null)
    {
        string path = _tmp.File("bad.npy");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<NpyFormatException>(() => (read ?? (p => NpyFile.Read(p)))(path));
        AssertOneLineNaming(e, path);
        return e;
    }

    private static void AssertOneLineNaming(NpyFormatException e, string path)
    {
        Assert.StartsWith(path + ": ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain('\r', e.Message);
        Assert.Equal(path, e.FilePath);
        Assert.Equal(e.Message, path + ": " + e.Problem);
    }

    public static TheoryData<string, byte[], string> BadFiles()
    {
        var d = new TheoryData<string, byte[], string>
        {
            { "empty file", Array.Empty<byte>(), "empty" },
            { "bad magic", NpyBytes.Concat([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Z'], Valid[6..]), "bad magic b'\\x93NUMPZ'" },
            { "png", NpyBytes.Concat([0x89], "PNG\r\n\x1a\n"u8.ToArray(), new byte[40]), "not a .npy file" },
            { "text", "hello, world\n"u8.ToArray(), "bad magic" },
            { "magic only", Valid[..6], "truncated header" },
            { "magic prefix", Valid[..3], "truncated header" },
            { "version 4.0", Patch(Valid, 6, 4), "unsupported .npy format version 4.0" },
            { "version 1.1", Patch(Valid, 7, 1), "unsupported .npy format version 1.1" },
            { "version 0.0", Patch(Valid, 6, 0), "unsupported .npy format version 0.0" },
            { "no header length", Valid[..9], "header length" },
            { "header longer than file", Valid[..60], "truncated header" },
            { "v2 header length field huge", NpyBytes.Concat(Valid[..6], [2, 0, 0xff, 0xff, 0xff, 0xff], Valid[10..]), "truncated header" },
            { "not a dict", V1("[1, 2, 3]"), "not a dict" },
            { "empty header", V1(""), "empty" },
            { "syntax", V1("{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3), }", new byte[24]), "malformed header dict" },
            { "unterminated string", V1("{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3), }", new byte[24]), "malformed header dict" },
            { "unterminated dict", V1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", new byte[24]), "malformed header dict" },
            { "junk after dict", V1(Dict("<f4", "(2, 3)") + " x", new byte[24]), "unexpected text after" },
            { "missing shape", V1("{'descr': '<f4', 'fortran_order': False, }"), "'shape' is missing" },
            { "missing descr", V1("{'fortran_order': False, 'shape': (2, 3), }", new byte[24]), "'descr' is missing" },
            { "extra key", V1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1, }", new byte[24]), "unexpected key 'x'" },
            { "duplicate key", V1("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", new byte[24]), "duplicate key" },
            { "int key", V1("{1: '<f4', 'fortran_order': False, 'shape': (2, 3), }", new byte[24]), "not a string" },
            { "shape is a list", V1(Dict("<f4", "[2, 3]"), new byte[24]), "'shape' is not a tuple" },
            { "shape is an int", V1(Dict("<f4", "(6)"), new byte[24]), "'shape' is not a tuple" },
            { "shape has a float", V1(Dict("<f4", "(2.0, 3)"), new byte[24]), "not an integer" },
            { "shape has a string", V1(Dict("<f4", "('2', 3)"), new byte[24]), "'shape' is not a tuple" },
            { "shape has None", V1(Dict("<f4", "(None, 3)"), new byte[24]), "'shape' is not a tuple" },
            { "fortran not bool", V1(Dict("<f4", "(2, 3)", "0"), new byte[24]), "'fortran_order' is not True or False" },
            { "unknown name", V1(Dict("<f4", "(2, 3)", "false"), new byte[24]), "unexpected name 'false'" },
            { "fortran order", V1(Dict("<f4", "(2, 3)", "True"), new byte[24]), "fortran_order True" },
            { "big-endian f4", V1(Dict(">f4", "(2, 3)"), new byte[24]), "big-endian dtype '>f4'" },
            { "big-endian i8", V1(Dict(">i8", "(3,)"), new byte[24]), "big-endian" },
            { "complex", V1(Dict("<c8", "(3,)"), new byte[24]), "unsupported dtype '<c8'" },
            { "object", V1(Dict("|O", "(3,)"), new byte[24]), "unsupported dtype '|O'" },
            { "bytes", V1(Dict("|S8", "(3,)"), new byte[24]), "unsupported dtype '|S8'" },
            { "unicode", V1(Dict("<U2", "(3,)"), new byte[24]), "unsupported dtype '<U2'" },
            { "float16", V1(Dict("<f2", "(3,)"), new byte[6]), "unsupported dtype '<f2'" },
            { "bool", V1(Dict("|b1", "(3,)"), new byte[3]), "unsupported dtype '|b1'" },
            { "native order", V1(Dict("=f4", "(3,)"), new byte[12]), "unsupported dtype '=f4'" },
            { "structured", V1("{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (3,), }", new byte[24]), "structured" },
            { "descr not a string", V1("{'descr': 4, 'fortran_order': False, 'shape': (3,), }", new byte[12]), "'descr' is not a string" },
            { "negative dimension", V1(Dict("<f4", "(-2, 3)")), "negative dimension -2" },
            { "huge dimension", V1(Dict("<f4", "(2147483648, 1)")), "too large" },
            { "enormous dimension", V1(Dict("<f4", "(" + new string('9', 100) + ",)")), "more than 64 digits" },
            { "product overflows", V1(Dict("<f4", "(100000, 100000, 100000, 100000)")), "more elements than" },
            { "too many elements", V1(Dict("|u1", "(2147483647, 2)")), "more elements than" },
            { "data short", V1(Dict("<f4", "(2, 3)"), new byte[23]), "data is shorter than the shape says: '<f4' (2, 3) needs 24 bytes, the file has 23" },
            { "data missing", V1(Dict("<i8", "(1,)")), "data is shorter" },
            { "data long", V1(Dict("<f4", "(2, 3)"), new byte[25]), "data is longer than the shape says: '<f4' (2, 3) needs 24 bytes, the file has 25 after the header (1 extra)" },
            { "0-d data long", V1(Dict("|u1", "()"), new byte[2]), "data is longer" },
            { "empty array with data", V1(Dict("<f4", "(0, 3)"), new byte[4]), "data is longer" },
            { "deep nesting", V1("{'descr': " + new string('(', 5000) + new string(')', 5000) + "}"), "nested deeper" },
            { "control characters", V1("{'descr': '\u0001\u0007', 'fortran_order': False, 'shape': (1,), }", new byte[1]), "unsupported dtype '\\x01\\x07'" },
            { "newline in descr", V1("{'descr': '<f4\\n', 'fortran_order': False, 'shape': (1,), }", new byte[4]), "unsupported dtype '<f4\\x0a'" },
            { "bad escape", V1("{'descr': '<f\\q', 'fortran_order': False, 'shape': (1,), }", new byte[4]), "unsupported escape" },
            { "invalid utf-8 in v3", NpyBytes.Concat(NpyBytes.Header(3, "{'descr': '<f4\xff', 'fortran_order': False, 'shape': (1,), }", encoding: Encoding.Latin1), new byte[4]), "not valid UTF-8" },
        };
        return d;
    }

    private static byte[] Patch(byte[] bytes, int at, byte value)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] = value;
        return copy;
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void BadFileFailsWithOneLine(string what, byte[] bytes, string expected)
    {
        var e = Fails(bytes);
        Assert.True(e.Problem.Contains(expected, StringComparison.Ordinal), $"{what}: message was: {e.Message}");
        // The same problem through the header-only reader and a stream.
        string path = _tmp.File("bad.npy");
        AssertOneLineNaming(Assert.Throws<NpyFormatException>(() => NpyFile.ReadHeader(path)), path);
        var s = Assert.Throws<NpyFormatException>(() => NpyFile.Read(new MemoryStream(bytes), "stream"));
        Assert.Equal("stream: " + e.Problem, s.Message);
        var p = Assert.Throws<NpyFormatException>(() => NpyFile.Read(new NpyRoundTripTests.NonSeekableStream(bytes), "pipe"));
        // A pipe cannot tell a 4 GiB header length from a truncated one without reading it all.
        if (what == "v2 header length field huge") Assert.Contains("header length", p.Message);
        else Assert.Equal("pipe: " + e.Problem, p.Message);
    }

    [Fact]
    public void PipeClaimingGigabytesFailsWithoutAllocatingThem()
    {
        // 4 GB announced, 8 bytes present: the reader must notice before allocating the array.
        byte[] bytes = V1(Dict("<f8", "(500000000,)"), new byte[8]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<NpyFormatException>(() => NpyFile.Read(new NpyRoundTripTests.NonSeekableStream(bytes), "pipe"));
        Assert.Contains("data is shorter than the shape says: '<f8' (500000000,) needs 4000000000 bytes, the file has 8", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20);
    }

    [Fact]
    public void MatrixReaderRejectsAVectorAndSaysWhatItExpected()
    {
        var e = Fails(V1(Dict("<f4", "(5,)"), new byte[20]), p => NpyFile.ReadFloat32Matrix(p));
        Assert.Contains("expected a 2-d matrix (rows, cols) of float32 or float64, found a 1-d array of shape (5,)", e.Message);
    }

    [Theory]
    [InlineData("()", 4)]
    [InlineData("(2, 3, 4)", 96)]
    public void MatrixReaderRejectsOtherRanks(string shape, int bytes)
    {
        var e = Fails(V1(Dict("<f4", shape), new byte[bytes]), p => NpyFile.ReadFloat32Matrix(p));
        Assert.Contains($"expected a 2-d matrix (rows, cols) of float32 or float64, found a {(shape == "()" ? 0 : 3)}-d array of shape {shape}", e.Message);
    }

    [Fact]
    public void TypedReadersRejectOtherDtypes()
    {
        var f4 = V1(Dict("<f4", "(2, 3)"), new byte[24]);
        Assert.Contains("expected uint8 ('|u1') data, found float32 ('<f4')", Fails(f4, p => NpyFile.ReadUInt8Matrix(p)).Message);
        Assert.Contains("expected int32 ('<i4') data, found float32", Fails(f4, p => NpyFile.ReadInt32Matrix(p)).Message);
        Assert.Contains("expected int64 ('<i8') data, found float32", Fails(f4, p => NpyFile.ReadInt64Matrix(p)).Message);
        var u1 = V1(Dict("|u1", "(2, 3)"), new byte[6]);
        Assert.Contains("expected float32 ('<f4') or float64 ('<f8') data, found uint8 ('|u1')", Fails(u1, p => NpyFile.ReadFloat32Matrix(p)).Message);
        Assert.Contains("expected a 1-d vector of float32 or float64, found a 2-d array of shape (2, 3)", Fails(f4, p => NpyFile.ReadFloat32Vector(p)).Message);
        Assert.Contains("found float32", Fails(V1(Dict("<f4", "(6,)"), new byte[24]), p => NpyFile.ReadInt64Vector(p)).Message);
    }

    [Fact]
    public void TypedReaderChecksTypeBeforeReadingData()
    {
        // A wrong-rank header is reported as such even when the data is also short: nothing is allocated for it.
        var e = Fails(V1(Dict("<f4", "(2000000000,)")), p => NpyFile.ReadFloat32Matrix(p));
        Assert.Contains("expected a 2-d matrix", e.Message);
    }

    [Fact]
    public void MissingFileFailsWithOneLine()
    {
        string path = _tmp.File("nope.npy");
        var e = Assert.Throws<NpyFormatException>(() => NpyFile.Read(path));
        AssertOneLineNaming(e, path);
        Assert.Contains("file not found", e.Message);
        AssertOneLineNaming(Assert.Throws<NpyFormatException>(() => NpyFile.ReadFloat32Matrix(path)), path);
        AssertOneLineNaming(Assert.Throws<NpyFormatException>(() => NpyFile.ReadHeader(path)), path);
    }

    [Fact]
    public void MissingFolderFailsWithOneLine()
    {
        string path = Path.Combine(_tmp.Path, "no", "such", "x.npy");
        var e = Assert.Throws<NpyFormatException>(() => NpyFile.ReadUInt8Matrix(path));
        AssertOneLineNaming(e, path);
        Assert.Contains("file not found", e.Message);
    }

    [Fact]
    public void FolderInsteadOfFileFailsWithOneLine()
    {
        var e = Assert.Throws<NpyFormatException>(() => NpyFile.Read(_tmp.Path));
        AssertOneLineNaming(e, _tmp.Path);
        Assert.Contains("folder", e.Message);
    }

    [Fact]
    public void FileNameWithLineBreakStillGivesOneLine()
    {
        string path = _tmp.File("a\nb.npy");
        File.WriteAllBytes(path, "nonsense"u8.ToArray());
        var e = Assert.Throws<NpyFormatException>(() => NpyFile.Read(path));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("bad magic", e.Message);
    }
}
