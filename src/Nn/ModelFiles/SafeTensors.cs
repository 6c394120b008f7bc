using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Lshk.Nn.ModelFiles;

/// <summary>The element types lshk writes and reads.</summary>
public enum SafeTensorType
{
    F32,
    I64,
}

/// <summary>One tensor of a safetensors file: name, type, shape and its raw little-endian bytes.</summary>
public sealed record SafeTensor(string Name, SafeTensorType Type, long[] Shape, byte[] Data)
{
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    public static SafeTensor FromFloats(string name, long[] shape, ReadOnlySpan<float> values) =>
        new(name, SafeTensorType.F32, shape, MemoryMarshal.AsBytes(values).ToArray());

    public static SafeTensor FromInt64(string name, long[] shape, ReadOnlySpan<long> values) =>
        new(name, SafeTensorType.I64, shape, MemoryMarshal.AsBytes(values).ToArray());

    public float[] ToFloats() => Type == SafeTensorType.F32
        ? MemoryMarshal.Cast<byte, float>(Data).ToArray()
        : throw new InvalidDataException($"tensor '{Name}' is {Type}, not F32");

    public long[] ToInt64() => Type == SafeTensorType.I64
        ? MemoryMarshal.Cast<byte, long>(Data).ToArray()
        : throw new InvalidDataException($"tensor '{Name}' is {Type}, not I64");
}

/// <summary>
/// The <c>safetensors</c> format (as Hugging Face's library writes it): an 8-byte little-endian header length N, N
/// bytes of JSON mapping each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets into the data
/// that follows the header) plus an optional "__metadata__" object of strings, then the raw tensor bytes. The
/// header is padded with spaces to a multiple of 8 bytes.
///
/// Reading checks everything a corrupt or hostile file could get wrong — header length against the file size, JSON
/// shape, dtypes, shapes, that every tensor's byte range matches its shape and lies inside the data, and that the
/// ranges tile the data exactly without gaps or overlaps — and fails with one <see cref="InvalidDataException"/>
/// line naming the problem. Nothing is read out of range.
/// </summary>
public static class SafeTensors
{
    /// <summary>The safetensors library's own cap on the header size.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public static void Write(Stream stream, IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var names = new HashSet<string>();
        foreach (var t in tensors)
        {
            if (t.Name == "__metadata__" || !names.Add(t.Name)) throw new ArgumentException($"tensor name '{t.Name}' is reserved or repeated");
            if (t.Data.LongLength != t.Count * ElementSize(t.Type))
                throw new ArgumentException($"tensor '{t.Name}' has {t.Data.Length} bytes, its shape needs {t.Count * ElementSize(t.Type)}");
        }

        var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            w.WriteStartObject("__metadata__");
            foreach (var (key, value) in metadata) w.WriteString(key, value);
            w.WriteEndObject();
            long offset = 0;
            foreach (var t in tensors)
            {
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", t.Type.ToString());
                w.WriteStartArray("shape");
                foreach (long d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + t.Data.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += t.Data.Length;
            }
            w.WriteEndObject();
        }
        while (json.Length % 8 != 0) json.WriteByte((byte)' ');

        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
        stream.Write(length);
        json.Position = 0;
        json.CopyTo(stream);
        foreach (var t in tensors) stream.Write(t.Data);
    }

    /// <summary>Parses a whole file's bytes; <paramref name="source"/> names the file in errors.</summary>
    public static (IReadOnlyList<SafeTensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Read(ReadOnlySpan<byte> bytes,
        string source)
    {
        InvalidDataException Bad(string problem) => new($"{source}: {problem}");

        if (bytes.Length < 8) throw Bad($"not a safetensors file: {bytes.Length} bytes, shorter than the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderBytes) throw Bad($"header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit");
        if (headerLength > (ulong)(bytes.Length - 8))
            throw Bad($"truncated: the header claims {headerLength} bytes but only {bytes.Length - 8} follow the length");
        var header = bytes.Slice(8, (int)headerLength);
        var data = bytes[(8 + (int)headerLength)..];
        if (header.Length == 0 || header[0] != (byte)'{') throw Bad("header does not start with '{'");
        if (System.Text.Unicode.Utf8.IsValid(header) == false) throw Bad("header is not valid UTF-8");

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw Bad($"header is not valid JSON ({e.Message.ReplaceLineEndings(" ")})");
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad("header is not a JSON object");
            var metadata = new Dictionary<string, string>();
            var tensors = new List<SafeTensor>();
            var ranges = new List<(long Begin, long End, string Name)>();
            var seen = new HashSet<string>();
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(entry.Name)) throw Bad($"header names '{entry.Name}' twice");
                if (entry.Name == "__metadata__")
                {
                    if (entry.Value.ValueKind != JsonValueKind.Object) throw Bad("__metadata__ is not an object");
                    foreach (var m in entry.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw Bad($"__metadata__ value of '{m.Name}' is not a string");
                        if (!metadata.TryAdd(m.Name, m.Value.GetString()!)) throw Bad($"__metadata__ names '{m.Name}' twice");
                    }
                    continue;
                }
                var (type, shape, begin, end) = ParseEntry(entry, Bad);
                long expected = shape.Aggregate(1L, (a, d) => CheckedProduct(a, d, entry.Name, Bad)) * ElementSize(type);
                if (end - begin != expected)
                    throw Bad($"tensor '{entry.Name}': data_offsets span {end - begin} bytes but {type} shape [{string.Join(", ", shape)}] needs {expected}");
                if (end > data.Length)
                    throw Bad($"tensor '{entry.Name}': data_offsets [{begin}, {end}] run past the {data.Length} data bytes (truncated file?)");
                ranges.Add((begin, end, entry.Name));
                tensors.Add(new SafeTensor(entry.Name, type, shape, data[(int)begin..(int)end].ToArray()));
            }

            // the byte ranges must tile the data exactly: no gaps, no overlaps, nothing left over
            long position = 0;
            foreach (var r in ranges.OrderBy(r => r.Begin).ThenBy(r => r.End))
            {
                if (r.Begin != position)
                    throw Bad(r.Begin < position
                        ? $"tensor '{r.Name}' overlaps the previous tensor's bytes"
                        : $"{r.Begin - position} bytes before tensor '{r.Name}' belong to no tensor");
                position = r.End;
            }
            if (position != data.Length) throw Bad($"{data.Length - position} bytes after the last tensor belong to no tensor");
            return (tensors, metadata);
        }
    }

    private static (SafeTensorType Type, long[] Shape, long Begin, long End) ParseEntry(JsonProperty entry,
        Func<string, InvalidDataException> bad)
    {
        string name = entry.Name;
        var v = entry.Value;
        if (v.ValueKind != JsonValueKind.Object) throw bad($"tensor '{name}' is not a JSON object");
        if (!v.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String)
            throw bad($"tensor '{name}' has no dtype");
        SafeTensorType type = dtype.GetString() switch
        {
            "F32" => SafeTensorType.F32,
            "I64" => SafeTensorType.I64,
            var other => throw bad($"tensor '{name}' has dtype {other}; lshk reads F32 and I64"),
        };
        if (!v.TryGetProperty("shape", out var shapeJson) || shapeJson.ValueKind != JsonValueKind.Array)
            throw bad($"tensor '{name}' has no shape array");
        var shape = new List<long>();
        foreach (var d in shapeJson.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long n) || n < 0)
                throw bad($"tensor '{name}' has a shape entry that is not a non-negative integer");
            shape.Add(n);
        }
        if (!v.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw bad($"tensor '{name}' has no [begin, end] data_offsets");
        long begin = Offset(offsets[0]), end = Offset(offsets[1]);
        if (begin < 0 || end < begin) throw bad($"tensor '{name}' has invalid data_offsets [{offsets[0]}, {offsets[1]}]");
        foreach (var p in v.EnumerateObject())
            if (p.Name is not ("dtype" or "shape" or "data_offsets")) throw bad($"tensor '{name}' has an unknown field '{p.Name}'");
        return (type, shape.ToArray(), begin, end);

        static long Offset(JsonElement e) => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out long x) ? x : -1;
    }

    /// <summary>a·d, refusing tensors over 2^31 elements (every partial product stays below 2^62, so nothing overflows).</summary>
    private static long CheckedProduct(long a, long d, string name, Func<string, InvalidDataException> bad)
    {
        if (d > int.MaxValue || a * d > int.MaxValue) throw bad($"tensor '{name}' has more than 2^31 elements");
        return a * d;
    }

    public static int ElementSize(SafeTensorType type) => type switch
    {
        SafeTensorType.F32 => 4,
        SafeTensorType.I64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
