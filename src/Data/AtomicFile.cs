namespace Lshk.Data;

/// <summary>
/// Writes a file under a temporary name in the same folder, then renames it into place, so a crash never
/// leaves a half-written file behind and an existing file is replaced only by a complete one.
/// </summary>
public static class AtomicFile
{
    /// <summary>Starts writing <paramref name="path"/>: write to <see cref="AtomicWrite.Stream"/>, then <see cref="AtomicWrite.Commit"/>.</summary>
    public static AtomicWrite Open(string path) => new(path);

    public static void Write(string path, Action<Stream> write)
    {
        using var file = Open(path);
        write(file.Stream);
        file.Commit();
    }

    /// <summary>
    /// Deletes the temporary files that writes of <paramref name="path"/> left behind when their process was killed
    /// mid-write (the file itself is never half-written: it is replaced only by a complete one). Call it only while no
    /// other process writes that file. Returns how many were removed.
    /// </summary>
    public static int RemoveLeftovers(string path)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(folder)) return 0;
        int removed = 0;
        foreach (string temp in Directory.EnumerateFiles(folder, AtomicWrite.TempPattern(full)))
        {
            File.Delete(temp);
            removed++;
        }
        return removed;
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s =>
        {
            using var writer = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true);
            writer.Write(text);
        });
}

/// <summary>A file being written under a temporary name; disposed without <see cref="Commit"/>, it leaves no trace.</summary>
public sealed class AtomicWrite : IDisposable
{
    private readonly string _final, _temp;
    private bool _done;

    internal AtomicWrite(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _final = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(_final) ?? ".";
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{path}: cannot write: the folder {folder} does not exist");
        _temp = Path.Combine(folder, $".{Path.GetFileName(_final)}.{Environment.ProcessId}.{Guid.NewGuid():N}{TempSuffix}");
        Stream = new FileStream(_temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
    }

    private const string TempSuffix = ".tmp";

    /// <summary>The file-name pattern of this file's temporary names (".NAME.PID.GUID.tmp").</summary>
    internal static string TempPattern(string path) => $".{Path.GetFileName(path)}.*{TempSuffix}";

    public Stream Stream { get; }

    /// <summary>
    /// Flushes to disk, renames the temporary file into place and flushes the folder, so that the rename itself
    /// survives a power cut or a kill (a service answers "saved" only after this returns).
    /// </summary>
    public void Commit()
    {
        Stream.Flush();
        ((FileStream)Stream).Flush(flushToDisk: true);
        Stream.Dispose();
        File.Move(_temp, _final, overwrite: true);
        _done = true;
        FolderSync.Flush(Path.GetDirectoryName(_final) ?? ".");
    }

    public void Dispose()
    {
        if (_done) return;
        Stream.Dispose();
        try { File.Delete(_temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _done = true;
    }
}
