using System.Buffers.Binary;
using System.Text;
using Lshk.Kernels.Random;
using Lshk.Lsh;
using Lshk.Lsh.Index;

namespace Lshk.Tests.Lsh;

public class IndexFileTests
{
    [Theory]
    [InlineData(true, false, "gaussian", 70)]
    [InlineData(false, true, "integer", 64)]
    [InlineData(true, true, "uniform", 1)]
    public void RoundTripKeepsEveryField(bool center, bool offsets, string family, int bits)
    {
        var index = IndexTestData.Index(n: 13, dim: 9, bits: bits, center: center, offsets: offsets, family: HashFamilies.Get(family));
        byte[] bytes = IndexTestData.Bytes(index);
        var back = SupportIndexFile.Read(bytes, "x.lshi");
        Assert.Equal(index.ModelChecksum, back.ModelChecksum);
        Assert.Equal(index.Planes.Family, back.Planes.Family);
        Assert.Equal(index.Planes.Seed, back.Planes.Seed);
        Assert.Equal(index.Planes.Range, back.Planes.Range);
        Assert.Equal(index.Planes.Normals, back.Planes.Normals);
        Assert.Equal(index.Planes.Offsets, back.Planes.Offsets);
        Assert.Equal(index.Center, back.Center);
        Assert.Equal(["alpha", "béta", "gamma"], back.ClassNames);
        Assert.Equal(index.Labels.ToArray(), back.Labels.ToArray());
        Assert.Equal(index.ContentHashes.ToArray(), back.ContentHashes.ToArray());
        Assert.Equal(index.Codes.ToArray(), back.Codes.ToArray());
        Assert.Equal(index.Embeddings.ToArray(), back.Embeddings.ToArray());
        // Writing what was read gives the same bytes.
        Assert.Equal(bytes, IndexTestData.Bytes(back));
        // The header says what it holds, where the format comment says.
        Assert.Equal("LSHKIDX\x1A"u8.ToArray(), bytes[..8]);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        Assert.Equal(9u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12)));
        Assert.Equal((uint)bits, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(16)));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(20)));
        Assert.Equal(13u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(24)));
        Assert.Equal(IndexTestData.Checksum, Convert.ToHexStringLower(bytes.AsSpan(48, 32)));
        int names = 3 * 2 + Encoding.UTF8.GetByteCount("alphabétagamma");
        int words = (bits + 31) / 32;
        int expected = 80 + names + 4 * bits * 9 + (offsets ? 4 * bits : 0) + (center ? 4 * 9 : 0) + 13 * (4 + 32 + 4 * words + 4 * 9) + 32;
        Assert.Equal(expected, bytes.Length);
    }

    [Fact]
    public void EveryTruncationIsAClearError()
    {
        byte[] bytes = IndexTestData.Bytes(IndexTestData.Index(n: 5, dim: 4, bits: 40));
        for (int length = 0; length < bytes.Length; length++)
        {
            var e = Assert.Throws<IndexFormatException>(() => SupportIndexFile.Read(bytes.AsSpan(0, length), "t.lshi"));
            Assert.StartsWith("t.lshi: ", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        // Extra bytes at the end are an error too.
        Assert.Throws<IndexFormatException>(() => SupportIndexFile.Read([.. bytes, 0], "t.lshi"));
    }

    [Fact]
    public void EveryByteFlipIsAClearError()
    {
        byte[] bytes = IndexTestData.Bytes(IndexTestData.Index(n: 5, dim: 4, bits: 40, offsets: true));
        var rng = new CounterRng(77, 0);
        for (int at = 0; at < bytes.Length; at++)
        {
            var copy = (byte[])bytes.Clone();
            copy[at] ^= (byte)(1 << rng.Below((ulong)at, 8));
            var e = Assert.Throws<IndexFormatException>(() => SupportIndexFile.Read(copy, "f.lshi"));
            Assert.StartsWith("f.lshi: ", e.Message);
        }
    }

    [Fact]
    public void HeaderProblemsAreNamed()
    {
        byte[] bytes = IndexTestData.Bytes(IndexTestData.Index());
        Assert.Contains("not an lshk support index", Read("PK\x03\x04 not an index"u8.ToArray()));
        Assert.Contains("not an lshk support index", Read([]));
        var version = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(version.AsSpan(8), 5);
        Assert.Contains("version 5 is not supported (this lshk reads versions 1 to 4)", Read(version));
        var items = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(items.AsSpan(24), 13);
        Assert.Contains("inconsistent sizes", Read(items));
        Assert.Contains("truncated", Read(bytes[..(bytes.Length - 100)]));
        var body = (byte[])bytes.Clone();
        body[^40] ^= 1;
        Assert.Contains("checksum mismatch", Read(body));
    }

    [Fact]
    public void ContentProblemsBehindAValidChecksumAreNamed()
    {
        var index = IndexTestData.Index(n: 6, dim: 4, bits: 40);
        byte[] bytes = IndexTestData.Bytes(index);
        int names = 80 + 3 * 2 + Encoding.UTF8.GetByteCount("alphabétagamma");
        int labels = names + 4 * 40 * 4 + 4 * 4;          // after normals and centre
        int codes = labels + 6 * 4 + 6 * 32;
        int embeddings = codes + 6 * 2 * 4;

        var label = (byte[])bytes.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(label.AsSpan(labels + 4), 3);
        Assert.Contains("item 1 has class id 3", Read(IndexTestData.Resigned(label)));

        var unusedClass = (byte[])bytes.Clone();
        for (int i = 0; i < 6; i++) BinaryPrimitives.WriteInt32LittleEndian(unusedClass.AsSpan(labels + 4 * i), 0);
        Assert.Contains("class 'béta' has no items", Read(IndexTestData.Resigned(unusedClass)));

        var highBits = (byte[])bytes.Clone();
        highBits[codes + 2 * 8 + 7] |= 0x80;            // item 2, word 1, bit 63 of a 40-bit code
        Assert.Contains("code 2 has bits set beyond bit 39", Read(IndexTestData.Resigned(highBits)));

        var nan = (byte[])bytes.Clone();
        BinaryPrimitives.WriteSingleLittleEndian(nan.AsSpan(embeddings + 8), float.NaN);
        Assert.Contains("embeddings hold a non-finite value at 2", Read(IndexTestData.Resigned(nan)));

        var duplicate = (byte[])bytes.Clone();
        Encoding.UTF8.GetBytes("gamma").CopyTo(duplicate, 80 + 2);   // "alpha" → "gamma"
        Assert.Contains("not unique", Read(IndexTestData.Resigned(duplicate)));
    }

    [Fact]
    public void AMissingFileOrAFolderIsAClearError()
    {
        string folder = Path.GetTempPath();
        Assert.Contains("is a folder", Assert.Throws<IndexFormatException>(() => SupportIndexFile.Read(folder)).Message);
        string missing = Path.Combine(folder, "lshk-no-such-index-" + Guid.NewGuid().ToString("N") + ".lshi");
        Assert.Equal($"{missing}: index file not found", Assert.Throws<IndexFormatException>(() => SupportIndexFile.Read(missing)).Message);
    }

    [Fact]
    public void AnotherModelIsAClearError()
    {
        var index = IndexTestData.Index(dim: 16);
        SupportIndexFile.RequireModel(index, "i.lshi", IndexTestData.Checksum, 16, "m.safetensors");
        var other = Assert.Throws<IndexFormatException>(() =>
            SupportIndexFile.RequireModel(index, "i.lshi", new string('a', 64), 16, "m.safetensors"));
        Assert.Equal("i.lshi: was made with another model (checksum 001122334455…), not m.safetensors (aaaaaaaaaaaa…)", other.Message);
        Assert.Contains("16-d embeddings but m.safetensors makes 32-d", Assert.Throws<IndexFormatException>(() =>
            SupportIndexFile.RequireModel(index, "i.lshi", IndexTestData.Checksum, 32, "m.safetensors")).Message);
    }

    private static string Read(byte[] bytes) =>
        Assert.Throws<IndexFormatException>(() => SupportIndexFile.Read(bytes, "i.lshi")).Message;
}
