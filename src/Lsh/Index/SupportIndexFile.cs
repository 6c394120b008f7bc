using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Lshk.Lsh.Index;

/// <summary>
/// The support index file (<c>.lshi</c>), versions 1 to 3. All numbers little-endian; floats IEEE-754 float32.
/// <code>
/// offset  bytes   field
///  0      8       magic "LSHKIDX" + 0x1A
///  8      4       u32 format version (1, 2 or 3)
/// 12      4       u32 D: embedding dimension
/// 16      4       u32 P: planes (bits per code); W = ⌈P/32⌉ words per code
/// 20      4       u32 C: classes
/// 24      4       u32 N: items
/// 28      1       u8  plane family: version 1: 0 gaussian, 1 uniform, 2 integer; versions 2 and 3: zero
/// 29      1       u8  flags: bit 0 = planes have offsets, bit 1 = centred (a centre vector follows)
/// 30      2       zero
/// 32      8       u64 seed the planes were drawn from
/// 40      4       i32 R of the integer family
/// 44      4       zero
/// 48      32      SHA-256 of the model file that made the embeddings
/// 80      …       versions 2 and 3: the family's registry name, u16 byte length (1…32) + UTF-8
///         …       version 3 only: the test-time views the embeddings are means over (<see cref="EmbeddingViews"/>):
///                 u16 count (2…65535), then the distortion, u16 byte length (1…256) + UTF-8
///         …       C class names: u16 byte length (1…1024) + UTF-8, in class-id order
///         4·P·D   plane normals, P×D row-major
///         4·P     plane offsets (only with flag bit 0)
///         4·D     centre subtracted before hashing (only with flag bit 1)
///         4·N     u32 class id of each item
///         32·N    SHA-256 of each item's source file
///         4·N·W   u32 packed codes, N×W (bit i of a code in word i/32 at position i%32; unused high bits 0)
///         4·N·D   float embeddings, N×D
/// end−32  32      SHA-256 of every byte before it
/// </code>
/// Each index is written in the oldest version that can hold it, so files without the newer features stay byte for
/// byte what older lshk wrote and read: planes of the three families version 1 has codes for as version 1; planes
/// of any other registered family as version 2, which names it; an index embedded under test-time views as version
/// 3, which names the family and the views. All three versions are read.
/// Reading checks, in order: magic, version, header values, that the file length is exactly what the header
/// describes, the trailing SHA-256, then the content (class ids in range, every class used, names unique,
/// finite floats, unused code bits zero), then that the family is registered (else an
/// <see cref="UnknownHashFamilyException"/>) and can serve an index. An index may hold no items (then no classes). Any other failure is an
/// <see cref="IndexFormatException"/>. The file is written by the caller to a temporary name and renamed (the CLI
/// uses AtomicFile); it is read whole into memory, so an index is limited to 2 GiB (about 7 million 64-d items with
/// 256-bit codes).
/// </summary>
public static class SupportIndexFile
{
    /// <summary>The newest version, written for an index embedded under test-time views.</summary>
    public const int Version = 3;

    /// <summary>The version written for families without a version-1 code (and no views).</summary>
    public const int Version2 = 2;

    /// <summary>The version written for the families of <see cref="Version1Families"/>.</summary>
    public const int Version1 = 1;
    public const int HeaderBytes = 80;
    public const int MaxDim = 1 << 20;
    public const int MaxPlanes = 1 << 16;

    private static ReadOnlySpan<byte> Magic => "LSHKIDX\x1A"u8;
    private const int TrailerBytes = SHA256.HashSizeInBytes;

    /// <summary>Version 1's family codes (header byte 28), fixed forever: new families are stored by name.</summary>
    private static readonly string[] Version1Families = ["gaussian", "uniform", "integer"];

    public static void Write(Stream stream, SupportIndex index)
    {
        var planes = index.Planes;
        string family = planes.Family.Name;
        if (!ReferenceEquals(HashFamilies.Find(family), planes.Family))
            throw new ArgumentException($"hash family '{family}' is not registered, so an index of its planes could not be read back");
        HashFamilyKinds.RequireStorableInIndex(planes.Family);
        int code = Array.IndexOf(Version1Families, family);
        var views = index.Views;
        uint version = (uint)(views is not null ? Version : code >= 0 ? Version1 : Version2);
        using var buffer = new MemoryStream();
        Span<byte> header = stackalloc byte[HeaderBytes];
        header.Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], version);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)index.Dim);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)index.Bits);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)index.ClassCount);
        BinaryPrimitives.WriteUInt32LittleEndian(header[24..], (uint)index.Count);
        header[28] = version == Version1 ? (byte)code : (byte)0;
        header[29] = (byte)((planes.Offsets is not null ? 1 : 0) | (index.Center is not null ? 2 : 0));
        BinaryPrimitives.WriteUInt64LittleEndian(header[32..], planes.Seed);
        BinaryPrimitives.WriteInt32LittleEndian(header[40..], planes.Range);
        Convert.FromHexString(index.ModelChecksum).CopyTo(header[48..]);
        buffer.Write(header);
        Span<byte> length = stackalloc byte[2];
        if (version != Version1) WriteText(buffer, family);
        if (views is not null)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)views.Count);
            buffer.Write(length);
            WriteText(buffer, views.Distortion);
        }
        foreach (string name in index.ClassNames) WriteText(buffer, name);
        WriteValues<float>(buffer, planes.Normals);
        if (planes.Offsets is not null) WriteValues<float>(buffer, planes.Offsets);
        if (index.Center is not null) WriteValues<float>(buffer, index.Center);
        WriteValues(buffer, index.Labels);
        buffer.Write(index.ContentHashes);
        WriteValues(buffer, index.Codes);
        WriteValues(buffer, index.Embeddings);
        byte[] body = buffer.GetBuffer();
        int bodyLength = (int)buffer.Length;
        stream.Write(body, 0, bodyLength);
        stream.Write(SHA256.HashData(body.AsSpan(0, bodyLength)));
    }

    /// <summary>Reads an index file; every problem is an <see cref="IndexFormatException"/> naming the file.</summary>
    public static SupportIndex Read(string path)
    {
        byte[] bytes;
        try
        {
            if (Directory.Exists(path)) throw new IndexFormatException(path, "is a folder, expected an index file");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new IndexFormatException(path, "index file not found");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IndexFormatException(path, $"cannot read ({e.Message})");
        }
        return Read(bytes, path);
    }

    public static SupportIndex Read(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < Magic.Length || !bytes[..Magic.Length].SequenceEqual(Magic))
            throw new IndexFormatException(source, "not an lshk support index (bad magic)");
        if (bytes.Length < HeaderBytes + TrailerBytes)
            throw new IndexFormatException(source, $"truncated: {bytes.Length} bytes is shorter than the header");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        if (version is not (Version1 or Version2 or Version))
            throw new IndexFormatException(source, $"index format version {version} is not supported (this lshk reads versions {Version1} to {Version})");
        uint dim = BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]);
        uint bits = BinaryPrimitives.ReadUInt32LittleEndian(bytes[16..]);
        uint classes = BinaryPrimitives.ReadUInt32LittleEndian(bytes[20..]);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(bytes[24..]);
        byte family = bytes[28], flags = bytes[29];
        if (dim < 1 || dim > MaxDim) throw Bad(source, $"embedding dimension {dim} is out of range (1 to {MaxDim})");
        if (bits < 1 || bits > MaxPlanes) throw Bad(source, $"plane count {bits} is out of range (1 to {MaxPlanes})");
        if (count > int.MaxValue) throw Bad(source, $"item count {count} is out of range");
        // An empty index (no items, no classes) is valid: a server's before its first enrolment or after its last deletion.
        if ((classes < 1 && count > 0) || classes > count) throw Bad(source, $"class count {classes} is out of range (1 to the {count} items)");
        if (version == Version1 ? family >= Version1Families.Length : family != 0)
            throw Bad(source, $"plane family code {family} is not valid in a version {version} index");
        if ((flags & ~3) != 0 || bytes[30] != 0 || bytes[31] != 0 || BinaryPrimitives.ReadInt32LittleEndian(bytes[44..]) != 0)
            throw Bad(source, "reserved header bytes are not zero");
        ulong seed = BinaryPrimitives.ReadUInt64LittleEndian(bytes[32..]);
        int range = BinaryPrimitives.ReadInt32LittleEndian(bytes[40..]);
        string checksum = Convert.ToHexStringLower(bytes.Slice(48, 32));
        bool hasOffsets = (flags & 1) != 0, hasCenter = (flags & 2) != 0;

        // Class names, then the fixed-size arrays: the file must be exactly as long as they say.
        int at = HeaderBytes;
        int end = bytes.Length - TrailerBytes;
        string familyName = version == Version1 ? Version1Families[family] : ReadFamilyName(bytes, ref at, end, source);
        var views = version == Version ? ReadViews(bytes, ref at, end, source) : null;
        var names = new string[classes];
        for (int c = 0; c < classes; c++) names[c] = ReadText(bytes, ref at, end, source, $"class name {c}", SupportIndex.MaxClassNameBytes);
        long words = (bits + 31) / 32;
        long expected = at + 4L * bits * dim + (hasOffsets ? 4L * bits : 0) + (hasCenter ? 4L * dim : 0)
                        + 4L * count + (long)SupportItems.HashBytes * count + 4L * count * words + 4L * count * dim + TrailerBytes;
        if (expected != bytes.Length)
            throw Bad(source, $"inconsistent sizes: the header describes {expected} bytes ({count} items, {classes} classes, " +
                              $"{bits} planes, dimension {dim}) but the file has {bytes.Length}{(expected > bytes.Length ? " (truncated?)" : "")}");
        if (!SHA256.HashData(bytes[..end]).AsSpan().SequenceEqual(bytes[end..]))
            throw Bad(source, "checksum mismatch: the file is corrupt");

        float[] normals = ReadValues<float>(bytes, ref at, (long)bits * dim);
        float[]? offsets = hasOffsets ? ReadValues<float>(bytes, ref at, bits) : null;
        float[]? center = hasCenter ? ReadValues<float>(bytes, ref at, dim) : null;
        int[] labels = ReadValues<int>(bytes, ref at, count);
        byte[] hashes = bytes.Slice(at, SupportItems.HashBytes * (int)count).ToArray();
        at += hashes.Length;
        uint[] codes = ReadValues<uint>(bytes, ref at, count * words);
        float[] embeddings = ReadValues<float>(bytes, ref at, (long)count * dim);

        // Content that the checksum cannot vouch for (it was written wrong, or by another tool).
        RequireFinite(source, normals, "plane normals");
        if (offsets is not null) RequireFinite(source, offsets, "plane offsets");
        if (center is not null) RequireFinite(source, center, "centre");
        RequireFinite(source, embeddings, "embeddings");
        var used = new bool[classes];
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= classes) throw Bad(source, $"item {i} has class id {labels[i]}, outside [0, {classes})");
            used[labels[i]] = true;
        }
        int unusedClass = Array.IndexOf(used, false);
        if (unusedClass >= 0) throw Bad(source, $"class '{names[unusedClass]}' has no items");
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length) throw Bad(source, "class names are not unique");
        if (bits % 32 != 0)
        {
            uint unused = ~((1u << (int)(bits % 32)) - 1);
            for (long i = 0; i < count; i++)
                if ((codes[(i + 1) * words - 1] & unused) != 0) throw Bad(source, $"code {i} has bits set beyond bit {bits - 1}");
        }

        // After the checksum, so a corrupt file is reported as corrupt rather than as naming an unknown family.
        var planeFamily = HashFamilies.Get(familyName, source);
        if (!planeFamily.Kind.StorableInIndex())
            throw Bad(source, $"hash family '{familyName}' fits its planes to one episode's classes; an index cannot hold them");
        if (planeFamily == PlaneFamily.Integer && range < 1) throw Bad(source, $"integer-family range {range} is not positive");
        var planes = new Hyperplanes(planeFamily, (int)bits, (int)dim, normals, offsets, seed, range);
        return new SupportIndex(checksum, new LshHasher(planes, center), names, labels, hashes, codes, embeddings, views);
    }

    /// <summary>
    /// Checks that an index can serve a model: the same model file (checksum) and so the same embedding dimension.
    /// </summary>
    public static void RequireModel(SupportIndex index, string source, string modelChecksum, int modelDim, string modelSource)
    {
        if (index.ModelChecksum != modelChecksum)
            throw new IndexFormatException(source, $"was made with another model (checksum {index.ModelChecksum[..12]}…), " +
                                                   $"not {modelSource} ({modelChecksum[..Math.Min(12, modelChecksum.Length)]}…)");
        if (index.Dim != modelDim)
            throw new IndexFormatException(source, $"holds {index.Dim}-d embeddings but {modelSource} makes {modelDim}-d ones");
    }

    private static IndexFormatException Bad(string source, string problem) => new(source, problem);

    private static string ReadFamilyName(ReadOnlySpan<byte> bytes, ref int at, int end, string source) =>
        ReadText(bytes, ref at, end, source, "family name", HashFamilies.MaxNameLength);

    private static EmbeddingViews ReadViews(ReadOnlySpan<byte> bytes, ref int at, int end, string source)
    {
        if (at + 2 > end) throw Truncated(source, bytes.Length, "the views");
        int count = BinaryPrimitives.ReadUInt16LittleEndian(bytes[at..]);
        at += 2;
        if (count < 2) throw Bad(source, $"view count {count} is out of range (2 to {EmbeddingViews.MaxCount})");
        string distortion = ReadText(bytes, ref at, end, source, "views' distortion", EmbeddingViews.MaxDistortionBytes);
        if (string.IsNullOrWhiteSpace(distortion)) throw Bad(source, "the views' distortion is blank");
        return new EmbeddingViews(count, distortion);
    }

    /// <summary>A u16 byte length (1 to <paramref name="maxBytes"/>) and that many bytes of UTF-8.</summary>
    private static string ReadText(ReadOnlySpan<byte> bytes, ref int at, int end, string source, string what, int maxBytes)
    {
        if (at + 2 > end) throw Truncated(source, bytes.Length, what);
        int length = BinaryPrimitives.ReadUInt16LittleEndian(bytes[at..]);
        at += 2;
        if (length < 1 || length > maxBytes) throw Bad(source, $"{what} has length {length}");
        if (at + length > end) throw Truncated(source, bytes.Length, what);
        string text;
        try { text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.Slice(at, length)); }
        catch (DecoderFallbackException) { throw Bad(source, $"{what} is not valid UTF-8"); }
        at += length;
        return text;
    }

    private static void WriteText(Stream stream, string text)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)utf8.Length);
        stream.Write(length);
        stream.Write(utf8);
    }

    private static IndexFormatException Truncated(string source, int length, string what) =>
        new(source, $"truncated: the file ends ({length} bytes) inside {what}");

    private static void RequireFinite(string source, float[] values, string what)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) throw Bad(source, $"{what} hold a non-finite value at {i}");
    }

    private static T[] ReadValues<T>(ReadOnlySpan<byte> bytes, ref int at, long count) where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        var values = new T[count];
        var source = bytes.Slice(at, checked((int)(count * size)));
        if (BitConverter.IsLittleEndian) source.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        else throw new PlatformNotSupportedException("support index files are read on little-endian machines only");
        at += source.Length;
        return values;
    }

    private static void WriteValues<T>(Stream stream, ReadOnlySpan<T> values) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("support index files are written on little-endian machines only");
        stream.Write(MemoryMarshal.AsBytes(values));
    }
}
