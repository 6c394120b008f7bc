using System.IO.Compression;

namespace Lshk.Data.Readers;

/// <summary>Reading dataset files and archive entries with every failure turned into a one-line <see cref="DatasetFormatException"/>.</summary>
internal static class SourceFiles
{
    /// <summary>Largest single file or archive entry read into memory (CIFAR-100's train.bin is 154 MB).</summary>
    public const long MaxBytes = 1L << 30;

    public static void RequireFile(string path)
    {
        if (Directory.Exists(path)) throw new DatasetFormatException(path, "is a folder, expected a file");
        if (!File.Exists(path)) throw new DatasetFormatException(path, "file not found");
    }

    public static FileStream OpenRead(string path)
    {
        RequireFile(path);
        try { return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetFormatException(path, $"cannot open ({e.Message})", e);
        }
    }

    public static byte[] ReadAll(string path)
    {
        using var stream = OpenRead(path);
        if (stream.Length > MaxBytes) throw new DatasetFormatException(path, $"file of {stream.Length} bytes is too large");
        try { return ReadExactly(stream, (int)stream.Length, path); }
        catch (IOException e) { throw new DatasetFormatException(path, $"read failed ({e.Message})", e); }
    }

    public static ZipArchive OpenZip(string path)
    {
        var stream = OpenRead(path);
        try { return new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: false); }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or NotSupportedException)
        {
            stream.Dispose();
            throw new DatasetFormatException(path, $"not a readable zip file ({e.Message})", e);
        }
    }

    /// <summary>The entries of an open zip; a damaged central directory (read on first use) is reported for the zip.</summary>
    public static IReadOnlyList<ZipArchiveEntry> Entries(ZipArchive zip, string path)
    {
        try { return zip.Entries; }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or NotSupportedException)
        {
            throw new DatasetFormatException(path, $"not a readable zip file ({e.Message})", e);
        }
    }

    /// <summary>All bytes of a zip entry; a corrupt, truncated or oversized entry is reported as <c>zip!entry</c>.</summary>
    public static byte[] ReadEntry(ZipArchiveEntry entry, string zipPath)
    {
        string name = DatasetFormatException.Entry(zipPath, entry.FullName);
        if (entry.Length > MaxBytes || entry.Length < 0) throw new DatasetFormatException(name, $"entry claims {entry.Length} bytes");
        try
        {
            using var stream = entry.Open();
            byte[] bytes = ReadExactly(stream, (int)entry.Length, name);
            if (stream.ReadByte() >= 0) throw new DatasetFormatException(name, "entry holds more data than its header says");
            return bytes;
        }
        catch (DatasetFormatException) { throw; }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException or ArgumentException)
        {
            throw new DatasetFormatException(name, $"corrupt zip entry ({e.Message})", e);
        }
    }

    /// <summary>
    /// Exactly <paramref name="length"/> bytes; a shorter stream is reported as truncated, in the words of
    /// <paramref name="shortBy"/> (given the bytes read) when given.
    /// </summary>
    public static byte[] ReadExactly(Stream stream, int length, string name, Func<int, string>? shortBy = null)
    {
        var bytes = new byte[length];
        int got = 0;
        while (got < length)
        {
            int n = stream.Read(bytes, got, length - got);
            if (n == 0) throw new DatasetFormatException(name, shortBy?.Invoke(got) ?? $"truncated: {got} of {length} bytes");
            got += n;
        }
        return bytes;
    }
}
