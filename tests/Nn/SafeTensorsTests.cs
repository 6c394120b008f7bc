using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Lshk.Nn.ModelFiles;

namespace Lshk.Tests.Nn;

/// <summary>The safetensors reader and writer: byte layout, round trip, and strict rejection of bad files.</summary>
public class SafeTensorsTests
{
    private static byte[] Sample()
    {
        var stream = new MemoryStream();
        SafeTensors.Write(stream,
        [
            SafeTensor.FromFloats("0.weight", [2, 3], [1f, -2f, 3.5f, 0f, 1e-3f, -7f]),
            SafeTensor.FromInt64("1.num_batches_tracked", [], [42L]),
            SafeTensor.FromFloats("1.bias", [2], [0.25f, -0.5f]),
        ], new Dictionary<string, string> { ["lshk.note"] = "hello" });
        return stream.ToArray();
    }

    /// <summary>A file with the given header JSON (padded) followed by <paramref name="dataBytes"/> zero bytes.</summary>
    private static byte[] Handmade(string headerJson, int dataBytes)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var file = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        return file;
    }

    [Fact]
    public void WritesTheSafetensorsLayout()
    {
        byte[] file = Sample();
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert.Equal(0UL, n % 8);
        string header = Encoding.UTF8.GetString(file, 8, (int)n);
        Assert.StartsWith("{", header);
        using var doc = JsonDocument.Parse(header.TrimEnd(' '));
        var w = doc.RootElement.GetProperty("0.weight");
        Assert.Equal("F32", w.GetProperty("dtype").GetString());
        Assert.Equal(new[] { 2, 3 }, w.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(new[] { 0, 24 }, w.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()));
        var t = doc.RootElement.GetProperty("1.num_batches_tracked");
        Assert.Equal("I64", t.GetProperty("dtype").GetString());
        Assert.Equal(0, t.GetProperty("shape").GetArrayLength());
        Assert.Equal(new[] { 24, 32 }, t.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("hello", doc.RootElement.GetProperty("__metadata__").GetProperty("lshk.note").GetString());
        // raw little-endian data right after the header
        int data = 8 + (int)n;
        Assert.Equal(-2f, BitConverter.ToSingle(file, data + 4));
        Assert.Equal(42L, BitConverter.ToInt64(file, data + 24));
        Assert.Equal(-0.5f, BitConverter.ToSingle(file, data + 36));
        Assert.Equal(data + 40, file.Length);
    }

    [Fact]
    public void RoundTrips()
    {
        var (tensors, metadata) = SafeTensors.Read(Sample(), "sample");
        Assert.Equal(new[] { "0.weight", "1.num_batches_tracked", "1.bias" }, tensors.Select(t => t.Name));
        Assert.Equal(new[] { 1f, -2f, 3.5f, 0f, 1e-3f, -7f }, tensors[0].ToFloats());
        Assert.Equal(new[] { 42L }, tensors[1].ToInt64());
        Assert.Empty(tensors[1].Shape);
        Assert.Equal("hello", metadata["lshk.note"]);
    }

    public static TheoryData<string, int, string> BadHeaders => new()
    {
        { "[1, 2]", 0, "does not start with '{'" },
        { "{\"a\": {\"dtype\": \"F16\", \"shape\": [1], \"data_offsets\": [0, 2]}}", 2, "dtype F16" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", 8, "needs 12" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 4, "run past the 4 data bytes" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [2, 6]}}", 6, "overlaps" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8, "4 bytes before tensor 'a'" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 12, "8 bytes after the last tensor" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, \"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8, "names 'a' twice" },
        { "{\"__metadata__\": {\"x\": 1}}", 0, "not a string" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", 4, "non-negative integer" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 0]}}", 4, "invalid data_offsets" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296], \"data_offsets\": [0, 4]}}", 4, "more than 2^31 elements" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [1]}}", 4, "data_offsets" },
        { "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4], \"extra\": 1}}", 4, "unknown field 'extra'" },
        { "{\"a\": ", 0, "not valid JSON" },
        { " {}", 0, "does not start with '{'" },
        { "{\"\u00e9\": 1}", 0, "is not a JSON object" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void InconsistentHeadersAreOneLineErrors(string header, int dataBytes, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(Handmade(header, dataBytes), "bad.safetensors"));
        Assert.StartsWith("bad.safetensors: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void InvalidUtf8InTheHeaderIsAnError()
    {
        byte[] file = Handmade("{\"ab\": 1}", 0);
        file[8 + 2] = 0xE1; // a lead byte without its continuation bytes, inside the name
        Assert.Contains("not valid UTF-8", Assert.Throws<InvalidDataException>(() => SafeTensors.Read(file, "f")).Message);
    }

    [Fact]
    public void HeaderLengthBeyondTheFileOrTheLimitIsAnError()
    {
        byte[] file = Sample();
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)file.Length);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => SafeTensors.Read(file, "f")).Message);
        BinaryPrimitives.WriteUInt64LittleEndian(file, ulong.MaxValue);
        Assert.Contains("exceeds", Assert.Throws<InvalidDataException>(() => SafeTensors.Read(file, "f")).Message);
    }

    [Fact]
    public void EveryTruncationIsAClearError()
    {
        byte[] file = Sample();
        for (int length = 0; length < file.Length; length++)
        {
            var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(file.AsSpan(0, length), "cut"));
            Assert.StartsWith("cut: ", e.Message);
        }
    }

    [Fact]
    public void RandomCorruptionNeverEscapesAsAnotherException()
    {
        byte[] original = Sample();
        var rng = new System.Random(7);
        int rejected = 0;
        for (int trial = 0; trial < 3000; trial++)
        {
            byte[] file = (byte[])original.Clone();
            int flips = 1 + rng.Next(3);
            for (int f = 0; f < flips; f++) file[rng.Next(file.Length)] = (byte)rng.Next(256);
            try
            {
                SafeTensors.Read(file, "fuzz");
            }
            catch (InvalidDataException)
            {
                rejected++;
            }
        }
        Assert.InRange(rejected, 1000, 3000); // most header corruptions are caught; data-byte flips are legal files
    }
}
