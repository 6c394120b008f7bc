using System.Security.Cryptography;
using System.Text;

namespace Lshk.Data.Caching;

/// <summary>
/// A SHA-256 checksum over the contents of a dataset's source files (and their names), so that any change to a
/// source — a replaced zip, an edited image — gives a different cache key.
/// </summary>
public static class SourceFingerprint
{
    /// <summary>Files in the order given; a folder stands for every file below it (ordinal path order).</summary>
    public static string Of(IEnumerable<string> paths)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
            {
                var files = Directory.GetFiles(path, "*", SearchOption.AllDirectories)
                    .Select(f => (Full: f, Relative: Path.GetRelativePath(path, f).Replace('\\', '/')))
                    .OrderBy(f => f.Relative, StringComparer.Ordinal);
                foreach (var (full, relative) in files) Add(hash, full, relative, buffer);
            }
            else Add(hash, path, Path.GetFileName(path), buffer);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void Add(IncrementalHash hash, string path, string name, byte[] buffer)
    {
        hash.AppendData(Encoding.UTF8.GetBytes(name + "\0"));
        using var stream = Readers.SourceFiles.OpenRead(path);
        hash.AppendData(BitConverter.GetBytes(stream.Length));
        for (int n; (n = stream.Read(buffer)) > 0;) hash.AppendData(buffer, 0, n);
    }
}
