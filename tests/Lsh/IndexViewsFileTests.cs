using System.Buffers.Binary;
using System.Text;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Random;
using Lshk.Lsh;
using Lshk.Lsh.Index;

namespace Lshk.Tests.Lsh;

/// <summary>
/// Index format version 3: an index embedded under test-time views records them (<see cref="EmbeddingViews"/>), keeps
/// them through every change, and reads back what was written; an index without views is still written as version 1
/// or 2, so older lshk reads it.
/// </summary>
public class IndexViewsFileTests
{
    private const string Distortion = "shift:1.5,rotate:15";
    private static readonly EmbeddingViews Views = new(16, Distortion);

    [Fact]
    public void AViewedIndexIsVersion3AndReadsBackWithItsViews()
    {
        var index = IndexTestData.Index(n: 7, dim: 5, bits: 40, views: Views);
        byte[] bytes = IndexTestData.Bytes(index);
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        Assert.Equal(0, bytes[28]);
        // After the header: the family's name, then the view count and the distortion, where the format comment says.
        int at = 80;
        Assert.Equal("gaussian", Text(bytes, ref at));
        Assert.Equal(16, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at)));
        at += 2;
        Assert.Equal(Distortion, Text(bytes, ref at));
        Assert.Equal("alpha", Text(bytes, ref at));

        var back = SupportIndexFile.Read(bytes, "v.lshi");
        Assert.Equal(Views, back.Views);
        Assert.Equal(index.Codes.ToArray(), back.Codes.ToArray());
        Assert.Equal(index.Embeddings.ToArray(), back.Embeddings.ToArray());
        Assert.Equal(bytes, IndexTestData.Bytes(back));

        int names = 3 * 2 + Encoding.UTF8.GetByteCount("alphabétagamma");
        int views = 2 + 2 + Distortion.Length, family = 2 + "gaussian".Length;
        Assert.Equal(80 + family + views + names + 4 * 40 * 5 + 4 * 5 + 7 * (4 + 32 + 4 * 2 + 4 * 5) + 32, bytes.Length);
    }

    [Fact]
    public void WithoutViewsTheOlderVersionsAreWritten()
    {
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(IndexTestData.Bytes(IndexTestData.Index()).AsSpan(8)));
        Assert.Null(SupportIndexFile.Read(IndexTestData.Bytes(IndexTestData.Index()), "o.lshi").Views);
    }

    [Fact]
    public void ViewsSurviveAdditionsDeletionsAndRecentring()
    {
        using var backend = new CpuBackend();
        var index = IndexTestData.Index(n: 6, dim: 4, bits: 32, views: Views);
        var added = index.Add(backend, IndexTestData.Items(3, 4, ["delta"], 9));
        Assert.Equal(Views, added.Views);
        Assert.Equal(Views, added.WithoutClass(0).Views);
        Assert.Equal(Views, added.Recentered(backend).Views);
        Assert.Equal(Views, SupportIndexFile.Read(IndexTestData.Bytes(added.WithoutClass(3)), "a.lshi").Views);
    }

    [Fact]
    public void EveryTruncationAndByteFlipOfAVersion3FileIsAClearError()
    {
        byte[] bytes = IndexTestData.Bytes(IndexTestData.Index(n: 4, dim: 3, bits: 20, views: Views));
        for (int length = 0; length < bytes.Length; length++)
            Assert.StartsWith("t.lshi: ", Assert.Throws<IndexFormatException>(() => SupportIndexFile.Read(bytes.AsSpan(0, length), "t.lshi")).Message);
        var rng = new CounterRng(78, 0);
        for (int at = 0; at < bytes.Length; at++)
        {
            var copy = (byte[])bytes.Clone();
            copy[at] ^= (byte)(1 << rng.Below((ulong)at, 8));
            Assert.StartsWith("f.lshi: ", Assert.Throws<IndexFormatException>(() => SupportIndexFile.Read(copy, "f.lshi")).Message);
        }
    }

    [Fact]
    public void BadViewFieldsBehindAValidChecksumAreNamed()
    {
        byte[] bytes = IndexTestData.Bytes(IndexTestData.Index(n: 4, dim: 3, bits: 20, views: Views));
        int count = 80 + 2 + "gaussian".Length;

        var one = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(one.AsSpan(count), 1);
        Assert.Contains("view count 1 is out of range", Read(IndexTestData.Resigned(one)));

        var blank = (byte[])bytes.Clone();
        Encoding.UTF8.GetBytes(new string(' ', Distortion.Length)).CopyTo(blank, count + 4);
        Assert.Contains("distortion is blank", Read(IndexTestData.Resigned(blank)));

        var invalid = (byte[])bytes.Clone();
        invalid[count + 4] = 0xFF;
        Assert.Contains("distortion is not valid UTF-8", Read(IndexTestData.Resigned(invalid)));
    }

    [Theory]
    [InlineData(1, "shift:1")]
    [InlineData(65536, "shift:1")]
    [InlineData(4, " ")]
    public void ViewsAnIndexCannotHoldAreRefused(int count, string distortion) =>
        Assert.ThrowsAny<ArgumentException>(() => new EmbeddingViews(count, distortion));

    private static string Read(byte[] bytes) =>
        Assert.Throws<IndexFormatException>(() => SupportIndexFile.Read(bytes, "b.lshi")).Message;

    private static string Text(byte[] bytes, ref int at)
    {
        int length = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at));
        string text = Encoding.UTF8.GetString(bytes, at + 2, length);
        at += 2 + length;
        return text;
    }
}
