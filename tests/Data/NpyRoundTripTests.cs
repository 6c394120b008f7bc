using Lshk.Data.Npy;

namespace Lshk.Tests.Data;

public sealed class NpyRoundTripTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    public static TheoryData<int[]> Shapes() => new() { Array.Empty<int>(), new[] { 0 }, new[] { 7 }, new[] { 3, 4 }, new[] { 0, 5 }, new[] { 5, 0 }, new[] { 2, 3, 4 }, new[] { 1, 1, 1, 1, 9 } };

    private static float[] RandomFloats(int n, int seed)
    {
        var rng = new Random(seed);
        var special = new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, float.Epsilon, float.MaxValue, BitConverter.Int32BitsToSingle(0x7fc12345) };
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i < special.Length && n > 20 ? special[i] : (float)(rng.NextDouble() * 2000 - 1000);
        return v;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float32RoundTripsBitForBit(int[] shape)
    {
        var data = RandomFloats(NpyBytes.Product(shape), 1);
        string path = _tmp.File("f4.npy");
        NpyFile.WriteFloat32(path, data, shape);
        NpyArray a = NpyFile.Read(path);
        Assert.Equal(NpyDType.Float32, a.DType);
        Assert.Equal(shape, a.Shape);
        Assert.Equal(data.Select(BitConverter.SingleToInt32Bits), a.AsFloat32().Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float64RoundTripsBitForBit(int[] shape)
    {
        var rng = new Random(2);
        var data = Enumerable.Range(0, NpyBytes.Product(shape)).Select(i => i == 1 ? double.NaN : rng.NextDouble() * 1e300 - 5e299).ToArray();
        string path = _tmp.File("f8.npy");
        NpyFile.WriteFloat64(path, data, shape);
        NpyArray a = NpyFile.Read(path);
        Assert.Equal(NpyDType.Float64, a.DType);
        Assert.Equal(shape, a.Shape);
        Assert.Equal(data.Select(BitConverter.DoubleToInt64Bits), a.AsFloat64().Select(BitConverter.DoubleToInt64Bits));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Int32RoundTrips(int[] shape)
    {
        var rng = new Random(3);
        var data = Enumerable.Range(0, NpyBytes.Product(shape)).Select(i => i switch { 0 => int.MinValue, 1 => int.MaxValue, _ => rng.Next(int.MinValue, int.MaxValue) }).ToArray();
        string path = _tmp.File("i4.npy");
        NpyFile.WriteInt32(path, data, shape);
        NpyArray a = NpyFile.Read(path);
        Assert.Equal(NpyDType.Int32, a.DType);
        Assert.Equal(shape, a.Shape);
        Assert.Equal(data, a.AsInt32());
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Int64RoundTrips(int[] shape)
    {
        var rng = new Random(4);
        var data = Enumerable.Range(0, NpyBytes.Product(shape)).Select(i => i switch { 0 => long.MinValue, 1 => long.MaxValue, _ => rng.NextInt64(long.MinValue, long.MaxValue) }).ToArray();
        string path = _tmp.File("i8.npy");
        NpyFile.WriteInt64(path, data, shape);
        NpyArray a = NpyFile.Read(path);
        Assert.Equal(NpyDType.Int64, a.DType);
        Assert.Equal(shape, a.Shape);
        Assert.Equal(data, a.AsInt64());
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void UInt8RoundTrips(int[] shape)
    {
        var data = new byte[NpyBytes.Product(shape)];
        new Random(5).NextBytes(data);
        string path = _tmp.File("u1.npy");
        NpyFile.WriteUInt8(path, data, shape);
        NpyArray a = NpyFile.Read(path);
        Assert.Equal(NpyDType.UInt8, a.DType);
        Assert.Equal(shape, a.Shape);
        Assert.Equal(data, a.AsUInt8());
    }

    [Fact]
    public void TypedMatrixAndVectorHelpersReturnDataAndShape()
    {
        var f = RandomFloats(12, 6);
        NpyFile.WriteFloat32(_tmp.File("m.npy"), f, 3, 4);
        var (fd, fr, fc) = NpyFile.ReadFloat32Matrix(_tmp.File("m.npy"));
        Assert.Equal((3, 4), (fr, fc));
        Assert.Equal(f, fd);

        var b = new byte[] { 1, 2, 3, 250, 251, 252 };
        NpyFile.WriteUInt8(_tmp.File("b.npy"), b, 2, 3);
        var (bd, br, bc) = NpyFile.ReadUInt8Matrix(_tmp.File("b.npy"));
        Assert.Equal((2, 3), (br, bc));
        Assert.Equal(b, bd);

        NpyFile.WriteInt32(_tmp.File("i.npy"), new[] { 1, -2, 3, -4 }, 4, 1);
        var (id, ir, ic) = NpyFile.ReadInt32Matrix(_tmp.File("i.npy"));
        Assert.Equal((4, 1), (ir, ic));
        Assert.Equal(new[] { 1, -2, 3, -4 }, id);

        NpyFile.WriteInt64(_tmp.File("l.npy"), new long[] { 5, 6 }, 1, 2);
        var (ld, lr, lc) = NpyFile.ReadInt64Matrix(_tmp.File("l.npy"));
        Assert.Equal((1, 2), (lr, lc));
        Assert.Equal(new long[] { 5, 6 }, ld);

        NpyFile.WriteFloat32(_tmp.File("v.npy"), new[] { 1.5f, -2f }, 2);
        Assert.Equal(new[] { 1.5f, -2f }, NpyFile.ReadFloat32Vector(_tmp.File("v.npy")));

        // A matrix with no rows is still a matrix.
        NpyFile.WriteFloat32(_tmp.File("e.npy"), Array.Empty<float>(), 0, 64);
        var (ed, er, ec) = NpyFile.ReadFloat32Matrix(_tmp.File("e.npy"));
        Assert.Equal((0, 0, 64), (ed.Length, er, ec));
    }

    [Fact]
    public void Float64MatrixIsReadAsRoundedFloat32()
    {
        var d = new[] { 0.1, 1e-50, 1e300, -2.5, double.NaN, 16777217.0 };
        NpyFile.WriteFloat64(_tmp.File("d.npy"), d, 2, 3);
        var (data, rows, cols) = NpyFile.ReadFloat32Matrix(_tmp.File("d.npy"));
        Assert.Equal((2, 3), (rows, cols));
        Assert.Equal(d.Select(x => (float)x), data);
        Assert.Equal(0f, data[1]);
        Assert.True(float.IsPositiveInfinity(data[2]));
        Assert.Equal(16777216f, data[5]);
    }

    [Fact]
    public void Int64VectorWidensInt32AndUInt8()
    {
        NpyFile.WriteInt32(_tmp.File("a.npy"), new[] { -1, int.MaxValue }, 2);
        Assert.Equal(new long[] { -1, int.MaxValue }, NpyFile.ReadInt64Vector(_tmp.File("a.npy")));
        NpyFile.WriteUInt8(_tmp.File("b.npy"), new byte[] { 0, 255 }, 2);
        Assert.Equal(new long[] { 0, 255 }, NpyFile.ReadInt64Vector(_tmp.File("b.npy")));
        NpyFile.WriteInt64(_tmp.File("c.npy"), new[] { long.MinValue }, 1);
        Assert.Equal(new[] { long.MinValue }, NpyFile.ReadInt64Vector(_tmp.File("c.npy")));
    }

    [Fact]
    public void ArrayWritersMatchTypedWritersAndStreams()
    {
        var cases = new NpyArray[]
        {
            new(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3),
            new(new double[] { 1, 2 }, 2),
            new(new byte[] { 9 }),
            new(new int[] { 1, 2, 3 }, 3, 1, 1),
            new(new long[0], 0, 2),
        };
        foreach (var a in cases)
        {
            NpyFile.Write(_tmp.File("w.npy"), a);
            byte[] viaFile = File.ReadAllBytes(_tmp.File("w.npy"));
            var ms = new MemoryStream();
            NpyFile.Write(ms, a);
            Assert.Equal(viaFile, ms.ToArray());
            ms.Position = 0;
            NpyArray back = NpyFile.Read(ms, "memory");
            Assert.Equal(a.DType, back.DType);
            Assert.Equal(a.Shape, back.Shape);
            Assert.Equal(a.Data, back.Data);
            Assert.Equal(a.ToString(), back.ToString());
        }
    }

    [Fact]
    public void LargeArraysCrossTheChunkBoundaries()
    {
        // 4.5M floats = 18 MB: more than one 16 MB read chunk and several 1M-element write chunks.
        const int rows = 4500, cols = 1000;
        var data = new float[rows * cols];
        for (int i = 0; i < data.Length; i++) data[i] = i * 0.25f;
        string path = _tmp.File("big.npy");
        NpyFile.WriteFloat32(path, data, rows, cols);
        Assert.Equal(128 + 4L * rows * cols, new FileInfo(path).Length);
        var (back, r, c) = NpyFile.ReadFloat32Matrix(path);
        Assert.Equal((rows, cols), (r, c));
        Assert.True(data.AsSpan().SequenceEqual(back));
    }

    [Fact]
    public void ReadHeaderReportsVersionShapeAndOffsetWithoutReadingData()
    {
        NpyFile.WriteInt32(_tmp.File("h.npy"), new int[24], 2, 3, 4);
        NpyHeader h = NpyFile.ReadHeader(_tmp.File("h.npy"));
        Assert.Equal((1, 0), (h.MajorVersion, h.MinorVersion));
        Assert.Equal(NpyDType.Int32, h.DType);
        Assert.Equal(new[] { 2, 3, 4 }, h.Shape);
        Assert.Equal(3, h.Rank);
        Assert.Equal(24, h.ElementCount);
        Assert.Equal(96, h.DataLength);
        Assert.Equal(128, h.DataOffset);
        Assert.Equal("(2, 3, 4)", h.ShapeText);
    }

    [Fact]
    public void ReadingFromANonSeekableStreamWorks()
    {
        NpyFile.WriteFloat32(_tmp.File("s.npy"), new[] { 1f, 2f, 3f }, 3);
        using var pipe = new NonSeekableStream(File.ReadAllBytes(_tmp.File("s.npy")));
        NpyArray a = NpyFile.Read(pipe, "pipe");
        Assert.Equal(new[] { 1f, 2f, 3f }, a.AsFloat32());
    }

    [Fact]
    public void WritingReplacesAnExistingFileAndLeavesNoTemporaryFiles()
    {
        string path = _tmp.File("r.npy");
        File.WriteAllText(path, "old contents");
        NpyFile.WriteUInt8(path, new byte[] { 1, 2, 3 }, 3);
        Assert.Equal(new byte[] { 1, 2, 3 }, NpyFile.Read(path).AsUInt8());
        NpyFile.WriteUInt8(path, new byte[] { 4, 5 }, 1, 2);
        Assert.Equal(new byte[] { 4, 5 }, NpyFile.Read(path).AsUInt8());
        Assert.Equal(new[] { "r.npy" }, Directory.GetFiles(_tmp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void AFailedWriteLeavesTheOldFileAndNoTemporaryFiles()
    {
        string path = _tmp.File("keep.npy");
        NpyFile.WriteFloat32(path, new[] { 1f }, 1);
        byte[] before = File.ReadAllBytes(path);
        var e = Assert.Throws<ArgumentException>(() => NpyFile.WriteFloat32(path, new[] { 1f, 2f, 3f }, 2, 2));
        Assert.Contains("(2, 2)", e.Message);
        Assert.Throws<ArgumentException>(() => NpyFile.WriteFloat32(path, new[] { 1f }, -1));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { "keep.npy" }, Directory.GetFiles(_tmp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void WritingIntoAMissingFolderFailsWithOneLineNamingTheFile()
    {
        string path = Path.Combine(_tmp.Path, "no-such-folder", "x.npy");
        var e = Assert.Throws<DirectoryNotFoundException>(() => NpyFile.WriteInt32(path, new[] { 1 }, 1));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_tmp.Path));
    }

    [Fact]
    public void ArrayAccessorsRefuseTheWrongType()
    {
        var a = new NpyArray(new int[] { 1, 2 }, 2);
        Assert.Same(a.Data, a.AsInt32());
        Assert.Throws<InvalidOperationException>(() => a.AsFloat32());
        Assert.Throws<InvalidOperationException>(() => a.AsInt64());
        Assert.Throws<InvalidOperationException>(() => a.ToFloat32());
        var f = new NpyArray(new float[] { 1 }, 1);
        Assert.Same(f.Data, f.ToFloat32());
        Assert.Throws<ArgumentException>(() => new NpyArray(new float[3], 2, 2));
        Assert.Throws<ArgumentException>(() => new NpyArray(new float[0], -1));
        Assert.Equal(1, new NpyArray(new float[1]).Length); // 0-d holds one element
    }

    /// <summary>A read-only stream over bytes that cannot seek or report its length, like a pipe.</summary>
    internal sealed class NonSeekableStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
