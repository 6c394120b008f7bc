using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Lshk.Data.Caching;

/// <summary>What the cache did for one load.</summary>
public enum CacheState
{
    /// <summary>No cache was used.</summary>
    Off,
    /// <summary>The tensors came from a valid cache file.</summary>
    Hit,
    /// <summary>There was no cache file for these sources and settings: built from the sources and written.</summary>
    Built,
    /// <summary>The cache file was unreadable or corrupt: rebuilt from the sources and rewritten.</summary>
    Rebuilt,
    /// <summary>Built from the sources, but the cache file could not be written (e.g. a read-only folder).</summary>
    NotSaved,
}

/// <summary>
/// Preprocessed dataset tensors on disk, so that a second load skips decoding. One file per dataset part, named
/// <c>&lt;name&gt;-&lt;key&gt;.lshkcache</c>, where the key is a SHA-256 over the file format version, the part's
/// name, the preprocessing settings and a checksum of the source files: a changed source or setting selects
/// another file. Files are written atomically; a file that fails any check (magic, version, key, length,
/// trailing SHA-256 of the contents) is rebuilt, never trusted and never fatal.
/// </summary>
/// <remarks>
/// Layout, little-endian: "LSHKDSET", int32 version, then strings as int32 byte length + UTF-8: key, source;
/// int32 count, channels, height, width, class count; byte has-groups; per class its name (and group);
/// count × int32 label; count×C×H×W float32 pixels; 32-byte SHA-256 of everything before it.
/// </remarks>
public sealed class DatasetCache
{
    public const int FormatVersion = 1;
    public const string Extension = ".lshkcache";
    private static readonly byte[] Magic = "LSHKDSET"u8.ToArray();

    public DatasetCache(string folder) => Folder = folder;

    public string Folder { get; }

    /// <summary>The cache key of a dataset part: format version, name, settings and source checksum.</summary>
    public static string Key(string name, string settingsKey, string sourceFingerprint) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"v{FormatVersion}\n{name}\n{settingsKey}\n{sourceFingerprint}")));

    public string PathFor(string name, string key) => Path.Combine(Folder, $"{name}-{key[..16]}{Extension}");

    /// <summary>The cached dataset when a valid file exists for the key; otherwise builds it, writes it and returns it.</summary>
    public (Dataset Data, CacheState State) GetOrBuild(string name, string key, Func<Dataset> build)
    {
        string path = PathFor(name, key);
        bool existed = File.Exists(path);
        if (existed && TryRead(path, key) is { } cached) return (cached, CacheState.Hit);
        var data = build();
        try
        {
            Directory.CreateDirectory(Folder);
            AtomicFile.Write(path, s => Write(s, data, key));
            RemoveStale(name, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return (data, CacheState.NotSaved); }
        return (data, existed ? CacheState.Rebuilt : CacheState.Built);
    }

    /// <summary>Whether a cache file exists for the key (without reading its contents).</summary>
    public bool Has(string name, string key) => File.Exists(PathFor(name, key));

    /// <summary>Older cache files of the same part (other keys) are dropped when a new one is written.</summary>
    private void RemoveStale(string name, string keep)
    {
        foreach (string f in Directory.GetFiles(Folder, $"{name}-*{Extension}"))
        {
            string stem = Path.GetFileNameWithoutExtension(f);
            if (f != keep && stem.Length == name.Length + 17 && stem[name.Length] == '-')
                try { File.Delete(f); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    public static void Write(Stream stream, Dataset data, string key)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffered = new BufferedStream(stream, 1 << 20); // not disposed: that would close the caller's stream
        void Put(ReadOnlySpan<byte> bytes) { hash.AppendData(bytes); buffered.Write(bytes); }
        void PutInt(int v) => Put(BitConverter.GetBytes(v));
        void PutString(string s) { var b = Encoding.UTF8.GetBytes(s); PutInt(b.Length); Put(b); }
        Put(Magic);
        PutInt(FormatVersion);
        PutString(key);
        PutString(data.Source);
        PutInt(data.Count); PutInt(data.Channels); PutInt(data.Height); PutInt(data.Width); PutInt(data.ClassCount);
        Put([(byte)(data.ClassGroups is null ? 0 : 1)]);
        for (int c = 0; c < data.ClassCount; c++)
        {
            PutString(data.ClassNames[c]);
            if (data.ClassGroups is not null) PutString(data.ClassGroups[c]);
        }
        Put(MemoryMarshal.AsBytes(data.Labels.AsSpan()));
        const int chunk = 1 << 18;
        for (long at = 0; at < data.Images.LongLength; at += chunk)
            Put(MemoryMarshal.AsBytes(data.Images.AsSpan((int)at, (int)Math.Min(chunk, data.Images.LongLength - at))));
        buffered.Write(hash.GetHashAndReset());
        buffered.Flush();
    }

    /// <summary>The dataset in a cache file, or null when the file is missing, for another key, or damaged.</summary>
    public static Dataset? TryRead(string path, string key)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OutOfMemoryException) { return null; }
        if (bytes.Length < Magic.Length + 32 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic)) return null;
        var body = bytes.AsSpan(0, bytes.Length - 32);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32))) return null;
        try { return Parse(body, key); }
        catch (Exception e) when (e is ArgumentException or FormatException or IndexOutOfRangeException or OverflowException) { return null; }
    }

    private static Dataset? Parse(ReadOnlySpan<byte> body, string key)
    {
        int at = Magic.Length;
        int ReadInt(ReadOnlySpan<byte> b) { int v = BitConverter.ToInt32(b.Slice(at, 4)); at += 4; return v; }
        string ReadString(ReadOnlySpan<byte> b)
        {
            int n = ReadInt(b);
            if (n < 0 || n > b.Length - at) throw new FormatException("bad string length");
            string s = Encoding.UTF8.GetString(b.Slice(at, n));
            at += n;
            return s;
        }
        if (ReadInt(body) != FormatVersion || ReadString(body) != key) return null;
        string source = ReadString(body);
        int count = ReadInt(body), channels = ReadInt(body), height = ReadInt(body), width = ReadInt(body), classes = ReadInt(body);
        if (count < 0 || channels is < 1 or > 4 || height is < 1 or > 65536 || width is < 1 or > 65536 || classes < 0 || classes > body.Length) return null;
        bool hasGroups = body[at++] != 0;
        var names = new string[classes];
        var groups = hasGroups ? new string[classes] : null;
        for (int c = 0; c < classes; c++)
        {
            names[c] = ReadString(body);
            if (groups is not null) groups[c] = ReadString(body);
        }
        long pixels = (long)count * channels * height * width;
        if (body.Length - at != 4L * count + 4 * pixels) return null;
        var labels = MemoryMarshal.Cast<byte, int>(body.Slice(at, 4 * count)).ToArray();
        at += 4 * count;
        var images = new float[pixels];
        body.Slice(at).CopyTo(MemoryMarshal.AsBytes(images.AsSpan()));
        return new Dataset(images, count, channels, height, width, labels, names, groups, source);
    }
}
