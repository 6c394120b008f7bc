using System.Runtime.InteropServices;

namespace Lshk.Data;

/// <summary>
/// Flushes a folder's entries (names, renames) to disk: on Linux and macOS an fsync of the folder itself, which .NET
/// has no API for. A rename is durable only once its folder is flushed. Elsewhere (Windows) a no-op: the rename there is
/// journalled by the file system.
/// </summary>
internal static partial class FolderSync
{
    private const int ReadOnly = 0;

    public static void Flush(string folder)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())) return;
        int fd = Open(folder, ReadOnly);
        if (fd < 0) throw new IOException($"{folder}: cannot open the folder to flush it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"{folder}: cannot flush the folder (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
