using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Lshk.Data.Npy;

/// <summary>
/// Reads and writes NumPy .npy files (format versions 1.0, 2.0 and 3.0; little-endian, C order;
/// dtypes <c>&lt;f4 &lt;f8 |u1 &lt;i4 &lt;i8</c>).
/// Reading is strict: anything this reader cannot represent exactly, or any inconsistency between
/// header and data, ends in an <see cref="NpyFormatException"/> with a one-line message naming the file.
/// Writing produces the same bytes as <c>numpy.save</c> and replaces the target atomically.
/// </summary>
public static class NpyFile
{
    /// <summary>The data alignment numpy writes (and this writer uses).</summary>
    public const int Alignment = 64;

    /// <summary>Headers longer than this are refused as corrupt (numpy itself refuses more than 10,000 characters by default).</summary>
    public const int MaxHeaderBytes = 16 << 20;

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    // ───────────────────────────── reading ─────────────────────────────

    /// <summary>Reads a whole .npy file.</summary>
    /// <exception cref="NpyFormatException">The file is missing, unreadable, malformed or unsupported.</exception>
    public static NpyArray Read(string path) => WithFile(path, fs => ReadCore(fs, path, null));

    /// <summary>
    /// Reads a .npy array from <paramref name="stream"/>, which must hold exactly one array from its
    /// current position to its end; <paramref name="name"/> names it in error messages.
    /// A non-seekable stream (a pipe) is read in chunks, so its data briefly takes twice the memory.
    /// </summary>
    public static NpyArray Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        return WithStream(stream, name, s => ReadCore(s, name, null));
    }

    /// <summary>
    /// Reads and validates the header of a .npy file, including that the file holds exactly the
    /// data the header announces, without reading the data.
    /// </summary>
    public static NpyHeader ReadHeader(string path) => WithFile(path, fs =>
    {
        NpyHeader h = ReadHeaderCore(fs, path);
        CheckDataLength(path, h, RemainingBytes(fs, h.DataLength));
        return h;
    });

    /// <summary>
    /// Reads a 2-d float matrix: float32 data as is, float64 data rounded to float32.
    /// </summary>
    public static (float[] Data, int Rows, int Cols) ReadFloat32Matrix(string path)
    {
        NpyArray a = ReadExpecting(path, 2, "a 2-d matrix (rows, cols)", NpyDType.Float32, NpyDType.Float64);
        return (a.ToFloat32(), a.Shape[0], a.Shape[1]);
    }

    /// <summary>Reads a 2-d uint8 matrix, e.g. packed bit codes (rows, bytes per code).</summary>
    public static (byte[] Data, int Rows, int Cols) ReadUInt8Matrix(string path)
    {
        NpyArray a = ReadExpecting(path, 2, "a 2-d matrix (rows, cols)", NpyDType.UInt8);
        return (a.AsUInt8(), a.Shape[0], a.Shape[1]);
    }

    /// <summary>Reads a 2-d int32 matrix.</summary>
    public static (int[] Data, int Rows, int Cols) ReadInt32Matrix(string path)
    {
        NpyArray a = ReadExpecting(path, 2, "a 2-d matrix (rows, cols)", NpyDType.Int32);
        return (a.AsInt32(), a.Shape[0], a.Shape[1]);
    }

    /// <summary>Reads a 2-d int64 matrix.</summary>
    public static (long[] Data, int Rows, int Cols) ReadInt64Matrix(string path)
    {
        NpyArray a = ReadExpecting(path, 2, "a 2-d matrix (rows, cols)", NpyDType.Int64);
        return (a.AsInt64(), a.Shape[0], a.Shape[1]);
    }

    /// <summary>Reads a 1-d float vector: float32 as is, float64 rounded to float32.</summary>
    public static float[] ReadFloat32Vector(string path) =>
        ReadExpecting(path, 1, "a 1-d vector", NpyDType.Float32, NpyDType.Float64).ToFloat32();

    /// <summary>Reads a 1-d integer vector (e.g. labels): int64 as is, int32 and uint8 widened.</summary>
    public static long[] ReadInt64Vector(string path)
    {
        NpyArray a = ReadExpecting(path, 1, "a 1-d vector", NpyDType.Int64, NpyDType.Int32, NpyDType.UInt8);
        switch (a.Data)
        {
            case long[] l: return l;
            case int[] i: return Array.ConvertAll(i, v => (long)v);
            default: return Array.ConvertAll((byte[])a.Data, v => (long)v);
        }
    }

    private static NpyArray ReadExpecting(string path, int rank, string rankText, params NpyDType[] dtypes) =>
        WithFile(path, fs => ReadCore(fs, path, h =>
        {
            if (Array.IndexOf(dtypes, h.DType) < 0)
            {
                string wanted = string.Join(" or ", dtypes.Select(d => $"{d.TypeName()} ('{d.Descr()}')"));
                return $"expected {wanted} data, found {h.DType.TypeName()} ('{h.DType.Descr()}')";
            }
            if (h.Rank != rank)
            {
                string wanted = string.Join(" or ", dtypes.Select(d => d.TypeName()));
                return $"expected {rankText} of {wanted}, found a {h.Rank}-d array of shape {NpyText.Shorten(h.ShapeText)}";
            }
            return null;
        }));

    private static NpyArray ReadCore(Stream s, string name, Func<NpyHeader, string?>? expect)
    {
        NpyHeader h = ReadHeaderCore(s, name);
        if (expect?.Invoke(h) is { } problem) throw new NpyFormatException(name, problem);
        return h.DType switch
        {
            NpyDType.UInt8 => new NpyArray(ReadData<byte>(s, name, h), h.ShapeArray),
            NpyDType.Int32 => new NpyArray(ReadData<int>(s, name, h), h.ShapeArray),
            NpyDType.Int64 => new NpyArray(ReadData<long>(s, name, h), h.ShapeArray),
            NpyDType.Float32 => new NpyArray(ReadData<float>(s, name, h), h.ShapeArray),
            NpyDType.Float64 => new NpyArray(ReadData<double>(s, name, h), h.ShapeArray),
            _ => throw new InvalidOperationException("unreachable"),
        };
    }

    private const int ChunkBytes = 1 << 24; // a multiple of every item size

    /// <summary>
    /// Reads exactly the data the header announces and checks nothing follows it. The array is
    /// allocated only once the data is known to be there: from the length of a seekable stream, or,
    /// for a pipe, after the bytes have arrived (in chunks, so a corrupt shape cannot claim gigabytes).
    /// </summary>
    private static T[] ReadData<T>(Stream s, string name, NpyHeader h) where T : unmanaged
    {
        int count = checked((int)h.ElementCount);
        int itemSize = h.DType.ItemSize();
        int perChunk = ChunkBytes / itemSize;
        if (s.CanSeek)
        {
            CheckDataLength(name, h, RemainingBytes(s, h.DataLength));
            var data = new T[count];
            for (int i = 0; i < count; i += perChunk)
            {
                Span<byte> dest = MemoryMarshal.AsBytes(data.AsSpan(i, Math.Min(perChunk, count - i)));
                int n = s.ReadAtLeast(dest, dest.Length, throwOnEndOfStream: false);
                if (n < dest.Length) // the file shrank after its length was checked
                    CheckDataLength(name, h, ((long)i * itemSize + n, false));
            }
            if (s.ReadByte() >= 0) // the file grew after its length was checked
                CheckDataLength(name, h, (h.DataLength + 1, true));
            return data;
        }

        var chunks = new List<byte[]>();
        long got = 0;
        while (got < h.DataLength)
        {
            var chunk = new byte[(int)Math.Min(ChunkBytes, h.DataLength - got)];
            int n = s.ReadAtLeast(chunk, chunk.Length, throwOnEndOfStream: false);
            got += n;
            chunks.Add(chunk);
            if (n < chunk.Length) CheckDataLength(name, h, (got, false));
        }
        var extra = RemainingBytes(s, 0);
        if (extra.Bytes > 0) CheckDataLength(name, h, (h.DataLength + extra.Bytes, extra.AtLeast));
        var result = new T[count];
        int at = 0;
        foreach (byte[] chunk in chunks)
        {
            int items = chunk.Length / itemSize;
            chunk.CopyTo(MemoryMarshal.AsBytes(result.AsSpan(at, items)));
            at += items;
        }
        return result;
    }

    /// <summary>
    /// Bytes left in the stream: exact for a seekable stream; for a pipe, counted by reading (and
    /// discarding) at most <paramref name="needed"/> + 64 MiB, so it may be a lower bound.
    /// </summary>
    private static (long Bytes, bool AtLeast) RemainingBytes(Stream s, long needed)
    {
        if (s.CanSeek) return (s.Length - s.Position, false);
        const long slack = 64L << 20;
        long limit = needed + slack, total = 0;
        var buffer = new byte[1 << 16];
        int n;
        while (total <= limit && (n = s.Read(buffer, 0, (int)Math.Min(buffer.Length, limit + 1 - total))) > 0)
            total += n;
        return (total, total > limit);
    }

    private static string Describe(NpyHeader h) => $"'{h.DType.Descr()}' {NpyText.Shorten(h.ShapeText)}";

    private static void CheckDataLength(string name, NpyHeader h, (long Bytes, bool AtLeast) have)
    {
        string found = (have.AtLeast ? "at least " : "") + have.Bytes;
        if (have.Bytes < h.DataLength && !have.AtLeast)
            throw new NpyFormatException(name, $"data is shorter than the shape says: {Describe(h)} needs {h.DataLength} bytes, the file has {found} after the header");
        if (have.Bytes > h.DataLength)
            throw new NpyFormatException(name, $"data is longer than the shape says: {Describe(h)} needs {h.DataLength} bytes, the file has {found} after the header ({(have.AtLeast ? "at least " : "")}{have.Bytes - h.DataLength} extra)");
    }

    /// <summary>Reads and validates the header; leaves the (seekable) stream at the first data byte.</summary>
    private static NpyHeader ReadHeaderCore(Stream s, string name)
    {
        EnsureLittleEndian();
        Span<byte> prefix = stackalloc byte[8];
        int n = s.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false);
        if (n == 0) throw new NpyFormatException(name, "the file is empty, not a .npy file");
        int m = Math.Min(n, Magic.Length);
        if (!prefix[..m].SequenceEqual(Magic[..m]))
            throw new NpyFormatException(name, $"not a .npy file: bad magic {NpyText.QuoteBytes(prefix[..m])} (expected b'\\x93NUMPY')");
        if (n < prefix.Length)
            throw new NpyFormatException(name, $"truncated header: the file is only {n} bytes long");
        int major = prefix[6], minor = prefix[7];
        if (minor != 0 || major is < 1 or > 3)
            throw new NpyFormatException(name, $"unsupported .npy format version {major}.{minor} (supported: 1.0, 2.0, 3.0)");

        int lengthBytes = major == 1 ? 2 : 4;
        Span<byte> lengthField = stackalloc byte[4];
        if (s.ReadAtLeast(lengthField[..lengthBytes], lengthBytes, throwOnEndOfStream: false) < lengthBytes)
            throw new NpyFormatException(name, "truncated header: the file ends inside the header length");
        long headerLength = major == 1
            ? BinaryPrimitives.ReadUInt16LittleEndian(lengthField)
            : BinaryPrimitives.ReadUInt32LittleEndian(lengthField);
        if (s.CanSeek && headerLength > s.Length - s.Position)
            throw new NpyFormatException(name, $"truncated header: the header length says {headerLength} bytes but only {s.Length - s.Position} follow");
        if (headerLength > MaxHeaderBytes)
            throw new NpyFormatException(name, $"header length {headerLength} bytes exceeds the {MaxHeaderBytes}-byte limit");

        var headerBytes = new byte[headerLength];
        int got = s.ReadAtLeast(headerBytes, headerBytes.Length, throwOnEndOfStream: false);
        if (got < headerBytes.Length)
            throw new NpyFormatException(name, $"truncated header: the header length says {headerLength} bytes but only {got} follow");
        string text;
        if (major == 3)
        {
            try
            {
                text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(headerBytes);
            }
            catch (DecoderFallbackException)
            {
                throw new NpyFormatException(name, "malformed header: a version 3.0 header is not valid UTF-8");
            }
        }
        else
        {
            text = Encoding.Latin1.GetString(headerBytes);
        }

        long dataOffset = 8 + lengthBytes + headerLength;
        NpyHeader? header = NpyHeader.FromText(text, major, minor, dataOffset, out string? problem);
        return header ?? throw new NpyFormatException(name, problem!);
    }

    private static T WithFile<T>(string path, Func<Stream, T> read)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path)) throw new NpyFormatException(path, "is a folder, not a .npy file");
        FileStream fs;
        try
        {
            fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException) { throw new NpyFormatException(path, "file not found"); }
        catch (DirectoryNotFoundException) { throw new NpyFormatException(path, "file not found (its folder does not exist)"); }
        catch (UnauthorizedAccessException e) { throw new NpyFormatException(path, "cannot open the file: access denied", e); }
        catch (IOException e) { throw new NpyFormatException(path, "cannot open the file: " + e.Message, e); }
        using (fs)
            return WithStream(fs, path, read);
    }

    private static T WithStream<T>(Stream stream, string name, Func<Stream, T> read)
    {
        try
        {
            return read(stream);
        }
        catch (IOException e)
        {
            throw new NpyFormatException(name, "read error: " + e.Message, e);
        }
    }

    // ───────────────────────────── writing ─────────────────────────────

    /// <summary>
    /// The complete header numpy.save writes for this dtype and shape (magic, version, length,
    /// dict, padding to a multiple of 64 bytes): version 1.0, or 2.0 when the header would exceed
    /// 65535 bytes.
    /// </summary>
    public static byte[] FormatHeader(NpyDType dtype, ReadOnlySpan<int> shape)
    {
        NpyArray.CheckShape(shape);
        // numpy: "{'descr': ..., 'fortran_order': False, 'shape': ..., }" with the keys sorted, then
        // spare spaces so the first dimension can grow to 21 digits in place (numpy >= 1.23).
        var dict = new StringBuilder();
        dict.Append("{'descr': '").Append(dtype.Descr()).Append("', 'fortran_order': False, 'shape': ")
            .Append(NpyText.FormatShape(shape)).Append(", }");
        if (shape.Length > 0)
            dict.Append(' ', 21 - shape[0].ToString(System.Globalization.CultureInfo.InvariantCulture).Length);
        int textLength = dict.Length + 1; // + the final '\n'
        int major = 1, prefixLength = 10;
        int padding = Alignment - (prefixLength + textLength) % Alignment; // 1..64, as numpy does
        if (textLength + padding > ushort.MaxValue)
        {
            major = 2;
            prefixLength = 12;
            padding = Alignment - (prefixLength + textLength) % Alignment;
        }
        int headerLength = textLength + padding;
        var bytes = new byte[prefixLength + headerLength];
        Magic.CopyTo(bytes);
        bytes[6] = (byte)major;
        bytes[7] = 0;
        if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)headerLength);
        else BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)headerLength);
        int at = prefixLength;
        for (int i = 0; i < dict.Length; i++) bytes[at++] = (byte)dict[i]; // ASCII only
        bytes.AsSpan(at, padding).Fill((byte)' ');
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    /// <summary>Writes <paramref name="array"/> to <paramref name="path"/> (atomically replaced).</summary>
    public static void Write(string path, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        int[] shape = array.Shape.ToArray();
        switch (array.Data)
        {
            case float[] f: WriteFloat32(path, f, shape); break;
            case double[] d: WriteFloat64(path, d, shape); break;
            case byte[] b: WriteUInt8(path, b, shape); break;
            case int[] i: WriteInt32(path, i, shape); break;
            case long[] l: WriteInt64(path, l, shape); break;
        }
    }

    /// <summary>Writes <paramref name="array"/> to <paramref name="stream"/> at its current position.</summary>
    public static void Write(Stream stream, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(array);
        int[] shape = array.Shape.ToArray();
        stream.Write(FormatHeader(array.DType, shape));
        switch (array.Data)
        {
            case float[] f: WriteData<float>(stream, f); break;
            case double[] d: WriteData<double>(stream, d); break;
            case byte[] b: WriteData<byte>(stream, b); break;
            case int[] i: WriteData<int>(stream, i); break;
            case long[] l: WriteData<long>(stream, l); break;
        }
    }

    /// <summary>Writes float32 data of the given shape (C order) as numpy.save would.</summary>
    public static void WriteFloat32(string path, ReadOnlySpan<float> data, params ReadOnlySpan<int> shape) =>
        WriteFile(path, NpyDType.Float32, data, shape);

    /// <summary>Writes float64 data of the given shape (C order) as numpy.save would.</summary>
    public static void WriteFloat64(string path, ReadOnlySpan<double> data, params ReadOnlySpan<int> shape) =>
        WriteFile(path, NpyDType.Float64, data, shape);

    /// <summary>Writes int32 data of the given shape (C order) as numpy.save would.</summary>
    public static void WriteInt32(string path, ReadOnlySpan<int> data, params ReadOnlySpan<int> shape) =>
        WriteFile(path, NpyDType.Int32, data, shape);

    /// <summary>Writes int64 data of the given shape (C order) as numpy.save would.</summary>
    public static void WriteInt64(string path, ReadOnlySpan<long> data, params ReadOnlySpan<int> shape) =>
        WriteFile(path, NpyDType.Int64, data, shape);

    /// <summary>Writes uint8 data of the given shape (C order) as numpy.save would.</summary>
    public static void WriteUInt8(string path, ReadOnlySpan<byte> data, params ReadOnlySpan<int> shape) =>
        WriteFile(path, NpyDType.UInt8, data, shape);

    private static void WriteFile<T>(string path, NpyDType dtype, ReadOnlySpan<T> data, ReadOnlySpan<int> shape)
        where T : unmanaged
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        EnsureLittleEndian();
        long count = NpyArray.CheckShape(shape);
        if (count != data.Length)
            throw new ArgumentException(
                $"shape {NpyText.FormatShape(shape)} holds {count} elements but the data has {data.Length}", nameof(shape));
        byte[] header = FormatHeader(dtype, shape);

        try
        {
            using var file = AtomicFile.Open(path);
            file.Stream.Write(header);
            WriteData(file.Stream, data);
            file.Commit();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not DirectoryNotFoundException)
        {
            throw new IOException($"{path}: cannot write: {NpyText.OneLine(e.Message)}", e);
        }
    }

    private static void WriteData<T>(Stream s, ReadOnlySpan<T> data) where T : unmanaged
    {
        const int chunk = 1 << 20;
        for (int i = 0; i < data.Length; i += chunk)
            s.Write(MemoryMarshal.AsBytes(data.Slice(i, Math.Min(chunk, data.Length - i))));
    }

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException(".npy reading and writing assume a little-endian machine");
    }
}
