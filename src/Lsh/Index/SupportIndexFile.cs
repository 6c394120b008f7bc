using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Lshk.Kernels;
using Lshk.Lsh.Quantization;

namespace Lshk.Lsh.Index;

/// <summary>
/// The support index file (<c>.lshi</c>), versions 1 to 4. All numbers little-endian; floats IEEE-754 float32.
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
/// Version 4 holds product-quantiser codes (the pq and opq families) instead of LSH bits. Its header is the same, with
/// P = 8·M bits for M subspaces of one byte (W = ⌈M/4⌉ words per code, byte j of a code in word j/4 at bits 8·(j%4),
/// unused high bytes 0), flags bit 1 = shifted (a shift vector follows), bit 2 = rotated (opq); then:
/// <code>
/// 80      …       the family's registry name, u16 byte length (1…32) + UTF-8
///         …       u16 view count (0: none; else 2…65535, then the distortion, u16 byte length (1…256) + UTF-8)
///         …       C class names, as above
///         4·256·D centroids, M × 256 × (D/M) (<see cref="Kernels.ProductCodes"/>)
///         4·D     mean of the prepared training embeddings
///         4·D·D   rotation, D×D row-major (only with flag bit 2)
///         4·D     shift the codes are offsets from (only with flag bit 1)
///         4·N     u32 class id of each item;  32·N SHA-256 of each item's source file
///         4·N·W   u32 codes, N×W;             4·N·D float embeddings, N×D
/// end−32  32      SHA-256 of every byte before it
/// </code>
/// Each index is written in the oldest version that can hold it, so files without the newer features stay byte for
/// byte what older lshk wrote and read: planes of the three families version 1 has codes for as version 1; planes
/// of any other registered family as version 2, which names it; an index embedded under test-time views as version
/// 3, which names the family and the views; an index of codebook codes as version 4. All four versions are read.
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
    /// <summary>The version written for an index embedded under test-time views.</summary>
    public const int Version = 3;

    /// <summary>The version written for an index of product-quantiser codes (pq, opq), with or without views.</summary>
    public const int VersionCodebook = 4;

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
        if (index.Codebook is not null)
        {
            WriteCodebookIndex(stream, index);
            return;
        }
        var planes = index.Planes;
        string family = planes.Family.Name;
        if (!ReferenceEquals(HashFamilies.Find(family), planes.Family))
            throw new ArgumentException($"hash family '{family}' is not registered, so an index of its planes could not be read back");
        HashFamilyKinds.RequireStorableInIndex(planes.Family);
        int code = Array.IndexOf(Version1Families, family);
        var views = index.Views;
        uint version = (uint)(views is not null ? Version : code >= 0 ? Version1 : Version2);
        using var buffer = new MemoryStream();
        WriteHeader(buffer, index, version, version == Version1 ? (byte)code : (byte)0,
            (byte)((planes.Offsets is not null ? FlagOffsets : 0) | (index.Center is not null ? FlagCentred : 0)), planes.Seed, planes.Range);
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
        WriteItemsAndChecksum(stream, buffer, index);
    }

    private static void WriteCodebookIndex(Stream stream, SupportIndex index)
    {
        var (codebook, shift) = index.Codebook!;
        string family = codebook.Family.Name;
        if (!ReferenceEquals(HashFamilies.Find(family), codebook.Family))
            throw new ArgumentException($"hash family '{family}' is not registered, so an index of its codes could not be read back");
        using var buffer = new MemoryStream();
        WriteHeader(buffer, index, VersionCodebook, family: 0,
            (byte)((shift is not null ? FlagCentred : 0) | (codebook.Rotation is not null ? FlagRotated : 0)), codebook.Seed, range: 0);
        WriteText(buffer, family);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)(index.Views?.Count ?? 0));
        buffer.Write(length);
        if (index.Views is { } views) WriteText(buffer, views.Distortion);
        foreach (string name in index.ClassNames) WriteText(buffer, name);
        WriteValues<float>(buffer, codebook.Centroids);
        WriteValues<float>(buffer, codebook.Mean);
        if (codebook.Rotation is not null) WriteValues<float>(buffer, codebook.Rotation);
        if (shift is not null) WriteValues<float>(buffer, shift);
        WriteItemsAndChecksum(stream, buffer, index);
    }

    /// <summary>The 80-byte header every version starts with (see the class summary).</summary>
    private static void WriteHeader(Stream buffer, SupportIndex index, uint version, byte family, byte flags, ulong seed, int range)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        header.Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], version);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)index.Dim);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)index.Bits);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)index.ClassCount);
        BinaryPrimitives.WriteUInt32LittleEndian(header[24..], (uint)index.Count);
        header[28] = family;
        header[29] = flags;
        BinaryPrimitives.WriteUInt64LittleEndian(header[32..], seed);
        BinaryPrimitives.WriteInt32LittleEndian(header[40..], range);
        Convert.FromHexString(index.ModelChecksum).CopyTo(header[48..]);
        buffer.Write(header);
    }

    /// <summary>The per-item arrays every version ends with, then the body and its SHA-256 to the stream.</summary>
    private static void WriteItemsAndChecksum(Stream stream, MemoryStream buffer, SupportIndex index)
    {
        WriteValues(buffer, index.Labels);
        buffer.Write(index.ContentHashes);
        WriteValues(buffer, index.Codes);
        WriteValues(buffer, index.Embeddings);
        byte[] body = buffer.GetBuffer();
        int bodyLength = (int)buffer.Length;
        stream.Write(body, 0, bodyLength);
        stream.Write(SHA256.HashData(body.AsSpan(0, bodyLength)));
    }

    private const byte FlagOffsets = 1, FlagCentred = 2, FlagRotated = 4;

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
        if (version is not (Version1 or Version2 or Version or VersionCodebook))
            throw new IndexFormatException(source, $"index format version {version} is not supported (this lshk reads versions {Version1} to {VersionCodebook})");
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
        if ((flags & ~(version == VersionCodebook ? FlagCentred | FlagRotated : FlagOffsets | FlagCentred)) != 0 || bytes[30] != 0 || bytes[31] != 0 || BinaryPrimitives.ReadInt32LittleEndian(bytes[44..]) != 0)
            throw Bad(source, "reserved header bytes are not zero");
        ulong seed = BinaryPrimitives.ReadUInt64LittleEndian(bytes[32..]);
        int range = BinaryPrimitives.ReadInt32LittleEndian(bytes[40..]);
        string checksum = Convert.ToHexStringLower(bytes.Slice(48, 32));
        bool hasOffsets = (flags & FlagOffsets) != 0, hasCenter = (flags & FlagCentred) != 0;
        if (version == VersionCodebook)
        {
            if (range != 0) throw Bad(source, "reserved header bytes are not zero");
            return ReadCodebookIndex(bytes, source, (int)dim, (int)bits, (int)classes, (int)count, seed, checksum, hasCenter,
                (flags & FlagRotated) != 0);
        }

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
        CheckLabels(source, labels, names);
        if (bits % 32 != 0)
        {
            uint unused = ~((1u << (int)(bits % 32)) - 1);
            for (long i = 0; i < count; i++)
                if ((codes[(i + 1) * words - 1] & unused) != 0) throw Bad(source, $"code {i} has bits set beyond bit {bits - 1}");
        }

        // After the checksum, so a corrupt file is reported as corrupt rather than as naming an unknown family.
        var planeFamily = HashFamilies.Get(familyName, source);
        if (planeFamily.Kind == HashFamilyKind.Codebook)
            throw Bad(source, $"hash family '{familyName}' makes codebook codes, which only a version {VersionCodebook} index holds");
        if (!planeFamily.Kind.StorableInIndex())
            throw Bad(source, $"hash family '{familyName}' fits its planes to one episode's classes; an index cannot hold them");
        if (planeFamily == PlaneFamily.Integer && range < 1) throw Bad(source, $"integer-family range {range} is not positive");
        var planes = new Hyperplanes(planeFamily, (int)bits, (int)dim, normals, offsets, seed, range);
        return new SupportIndex(checksum, new LshHasher(planes, center), names, labels, hashes, codes, embeddings, views);
    }

    /// <summary>The rest of a version-4 file, after its header (see the class summary).</summary>
    private static SupportIndex ReadCodebookIndex(ReadOnlySpan<byte> bytes, string source, int dim, int bits, int classes,
        int count, ulong seed, string checksum, bool shifted, bool rotated)
    {
        if (bits % ProductCodes.BitsPerSubspace != 0)
            throw Bad(source, $"{bits} bits are not whole bytes of a product-quantiser code");
        int subspaces = bits / ProductCodes.BitsPerSubspace;
        if (dim % subspaces != 0) throw Bad(source, $"{subspaces} subspaces do not split dimension {dim} evenly");
        int at = HeaderBytes;
        int end = bytes.Length - TrailerBytes;
        string familyName = ReadFamilyName(bytes, ref at, end, source);
        if (at + 2 > end) throw Truncated(source, bytes.Length, "the views");
        int viewCount = BinaryPrimitives.ReadUInt16LittleEndian(bytes[at..]);
        EmbeddingViews? views = null;
        if (viewCount == 0) at += 2;
        else views = ReadViews(bytes, ref at, end, source);
        var names = new string[classes];
        for (int c = 0; c < classes; c++) names[c] = ReadText(bytes, ref at, end, source, $"class name {c}", SupportIndex.MaxClassNameBytes);
        long words = ProductCodes.Words(subspaces);
        long expected = at + 4L * ProductCodes.Centroids * dim + 4L * dim + (rotated ? 4L * dim * dim : 0) + (shifted ? 4L * dim : 0)
                        + 4L * count + (long)SupportItems.HashBytes * count + 4L * count * words + 4L * count * dim + TrailerBytes;
        if (expected != bytes.Length)
            throw Bad(source, $"inconsistent sizes: the header describes {expected} bytes ({count} items, {classes} classes, " +
                              $"{bits}-bit codes, dimension {dim}) but the file has {bytes.Length}{(expected > bytes.Length ? " (truncated?)" : "")}");
        if (!SHA256.HashData(bytes[..end]).AsSpan().SequenceEqual(bytes[end..]))
            throw Bad(source, "checksum mismatch: the file is corrupt");

        float[] centroids = ReadValues<float>(bytes, ref at, (long)ProductCodes.Centroids * dim);
        float[] mean = ReadValues<float>(bytes, ref at, dim);
        float[]? rotation = rotated ? ReadValues<float>(bytes, ref at, (long)dim * dim) : null;
        float[]? shift = shifted ? ReadValues<float>(bytes, ref at, dim) : null;
        int[] labels = ReadValues<int>(bytes, ref at, count);
        byte[] hashes = bytes.Slice(at, SupportItems.HashBytes * count).ToArray();
        at += hashes.Length;
        uint[] codes = ReadValues<uint>(bytes, ref at, count * words);
        float[] embeddings = ReadValues<float>(bytes, ref at, (long)count * dim);

        RequireFinite(source, centroids, "centroids");
        RequireFinite(source, mean, "codebook mean");
        if (rotation is not null) RequireFinite(source, rotation, "rotation");
        if (shift is not null) RequireFinite(source, shift, "shift");
        RequireFinite(source, embeddings, "embeddings");
        CheckLabels(source, labels, names);
        if (subspaces % ProductCodes.SubspacesPerWord != 0)
        {
            uint unused = ~((1u << (ProductCodes.BitsPerSubspace * (subspaces % ProductCodes.SubspacesPerWord))) - 1);
            for (long i = 0; i < count; i++)
                if ((codes[(i + 1) * words - 1] & unused) != 0) throw Bad(source, $"code {i} has bytes set beyond subspace {subspaces - 1}");
        }

        var family = HashFamilies.Get(familyName, source);
        if (family.Kind != HashFamilyKind.Codebook)
            throw Bad(source, $"hash family '{familyName}' makes planes, not the codebook a version {VersionCodebook} index holds");
        var codebook = new ProductCodebook(family, dim, subspaces, centroids, mean, seed, rotation);
        return new SupportIndex(checksum, new IndexCodebook(codebook, shift), names, labels, hashes, codes, embeddings, views);
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

    /// <summary>Class ids in range, every class used, names unique.</summary>
    private static void CheckLabels(string source, int[] labels, string[] names)
    {
        var used = new bool[names.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= names.Length) throw Bad(source, $"item {i} has class id {labels[i]}, outside [0, {names.Length})");
            used[labels[i]] = true;
        }
        int unusedClass = Array.IndexOf(used, false);
        if (unusedClass >= 0) throw Bad(source, $"class '{names[unusedClass]}' has no items");
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length) throw Bad(source, "class names are not unique");
    }

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
