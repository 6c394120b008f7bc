using System.Text;
using Lshk.Data.Npy;

namespace Lshk.Tests.Data;

/// <summary>The writer must produce exactly the bytes numpy.save produces.</summary>
public sealed class NpyNumpyBytesTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>
    /// Header dicts copied from files numpy 1.24 wrote (numpy.save of zeros of each dtype and shape):
    /// each header is 128 bytes, the dict padded with spaces to byte 127 and a final '\n'.
    /// </summary>
    public static TheoryData<string, int[], string> NumpyWrote() => new()
    {
        { "<f4", new[] { 3, 4 }, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }" },
        { "|u1", new[] { 5 }, "{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }" },
        { "<i8", Array.Empty<int>(), "{'descr': '<i8', 'fortran_order': False, 'shape': (), }" },
        { "<i4", new[] { 0, 3 }, "{'descr': '<i4', 'fortran_order': False, 'shape': (0, 3), }" },
        { "<f8", new[] { 2, 3, 4 }, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3, 4), }" },
        { "|u1", new[] { 100000, 32 }, "{'descr': '|u1', 'fortran_order': False, 'shape': (100000, 32), }" },
    };

    [Theory]
    [MemberData(nameof(NumpyWrote))]
    public void HeaderMatchesWhatNumpyWrote(string descr, int[] shape, string dict)
    {
        var expected = new byte[128];
        byte[] prefix = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 118, 0];
        prefix.CopyTo(expected, 0);
        Encoding.ASCII.GetBytes(dict).CopyTo(expected, 10);
        for (int i = 10 + dict.Length; i < 127; i++) expected[i] = (byte)' ';
        expected[127] = (byte)'\n';

        NpyDType dtype = descr switch { "<f4" => NpyDType.Float32, "<f8" => NpyDType.Float64, "|u1" => NpyDType.UInt8, "<i4" => NpyDType.Int32, _ => NpyDType.Int64 };
        Assert.Equal(expected, NpyFile.FormatHeader(dtype, shape));
    }

    [Fact]
    public void WholeFilesMatchHandBuiltNumpyBytes()
    {
        var rng = new Random(7);
        for (int trial = 0; trial < 40; trial++)
        {
            int rank = rng.Next(0, 5);
            int[] shape = Enumerable.Range(0, rank).Select(_ => rng.Next(0, 6)).ToArray();
            if (rank > 1 && trial % 10 < 5) { shape[0] = rng.Next(0, int.MaxValue); shape[1] = 0; } // long first dimensions change the spare space
            int n = NpyBytes.Product(shape);
            string path = _tmp.File($"t{trial}.npy");
            byte[] expected;
            switch (trial % 5)
            {
                case 0:
                    var f = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
                    NpyFile.WriteFloat32(path, f, shape);
                    expected = NpyBytes.Concat(NpyBytes.NumpyHeader("<f4", shape), NpyBytes.LE(f));
                    break;
                case 1:
                    var d = Enumerable.Range(0, n).Select(_ => rng.NextDouble()).ToArray();
                    NpyFile.WriteFloat64(path, d, shape);
                    expected = NpyBytes.Concat(NpyBytes.NumpyHeader("<f8", shape), NpyBytes.LE(d));
                    break;
                case 2:
                    var b = new byte[n]; rng.NextBytes(b);
                    NpyFile.WriteUInt8(path, b, shape);
                    expected = NpyBytes.Concat(NpyBytes.NumpyHeader("|u1", shape), b);
                    break;
                case 3:
                    var i4 = Enumerable.Range(0, n).Select(_ => rng.Next(int.MinValue, int.MaxValue)).ToArray();
                    NpyFile.WriteInt32(path, i4, shape);
                    expected = NpyBytes.Concat(NpyBytes.NumpyHeader("<i4", shape), NpyBytes.LE(i4));
                    break;
                default:
                    var i8 = Enumerable.Range(0, n).Select(_ => rng.NextInt64(long.MinValue, long.MaxValue)).ToArray();
                    NpyFile.WriteInt64(path, i8, shape);
                    expected = NpyBytes.Concat(NpyBytes.NumpyHeader("<i8", shape), NpyBytes.LE(i8));
                    break;
            }
            byte[] actual = File.ReadAllBytes(path);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"shape {NpyBytes.ShapeRepr(shape)} case {trial % 5}");
            Assert.Equal(0, NpyFile.ReadHeader(path).DataOffset % 64);
        }
    }

    [Fact]
    public void ExactlyAlignedHeaderGetsAFull64BytesOfPadding()
    {
        // numpy pads with 64 - (len % 64) spaces, i.e. 64 (not 0) when the text already ends on a boundary.
        // Find a shape whose dict text + '\n' + 10-byte prefix is a multiple of 64.
        for (int rank = 1; rank < 40; rank++)
        {
            int[] shape = Enumerable.Repeat(1, rank).ToArray();
            int textLength = NpyBytes.NumpyDict("<f4", shape).Length + 1;
            if ((10 + textLength) % 64 != 0) continue;
            byte[] header = NpyFile.FormatHeader(NpyDType.Float32, shape);
            Assert.Equal(10 + textLength + 64, header.Length);
            Assert.Equal(NpyBytes.NumpyHeader("<f4", shape), header);
            return;
        }
        Assert.Fail("no exactly aligned shape found");
    }

    [Fact]
    public void HeaderSwitchesToVersion2OnlyWhenItNoLongerFitsSixteenBits()
    {
        // numpy switches at 21818 dimensions of size 1 for '<f4' (checked with numpy 1.24's
        // _write_array_header): 21817 still fits a 65535-byte header.
        byte[] v1 = NpyFile.FormatHeader(NpyDType.Float32, Enumerable.Repeat(1, 21817).ToArray());
        byte[] v2 = NpyFile.FormatHeader(NpyDType.Float32, Enumerable.Repeat(1, 21818).ToArray());
        Assert.Equal(1, v1[6]);
        Assert.Equal(2, v2[6]);
        Assert.True(v1.Length - 10 <= 65535);
        Assert.Equal(0, v1.Length % 64);
        Assert.Equal(0, v2.Length % 64);
        Assert.Equal(NpyBytes.NumpyHeader("<f4", Enumerable.Repeat(1, 21818).ToArray()), v2);

        // And the reader reads such a file back.
        string path = _tmp.File("v2.npy");
        int[] shape = Enumerable.Repeat(1, 21818).ToArray();
        shape[^1] = 3;
        NpyFile.WriteFloat32(path, new[] { 1f, 2f, 3f }, shape);
        NpyHeader h = NpyFile.ReadHeader(path);
        Assert.Equal(2, h.MajorVersion);
        Assert.Equal(21818, h.Rank);
        Assert.Equal(new[] { 1f, 2f, 3f }, NpyFile.Read(path).AsFloat32());
    }
}
