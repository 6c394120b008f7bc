using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Lshk.Data.Download;

/// <summary>Progress of one file: bytes on disk so far (including a resumed part) and the total when known.</summary>
public readonly record struct DownloadProgress(string File, long Received, long? Total);

public enum DownloadOutcome
{
    /// <summary>The file was already there with the right checksum.</summary>
    AlreadyPresent,
    /// <summary>Downloaded from the start.</summary>
    Downloaded,
    /// <summary>A partial download (<c>FILE.part</c>) was continued with an HTTP range request.</summary>
    Resumed,
}

/// <summary>
/// Downloads a file into a folder and verifies its MD5. The bytes go to <c>FILE.part</c> and are renamed to FILE
/// only once complete and verified. An interrupted download keeps its .part file, and the next run asks the server
/// for the rest (<c>Range: bytes=N-</c>); a server that answers with the whole file (200) starts it over.
/// A checksum mismatch deletes the .part file and fails. Mirrors are tried in order.
/// </summary>
public sealed class Downloader(HttpClient http)
{
    /// <summary>A connection that delivers nothing for this long is given up (the .part file stays).</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public async Task<DownloadOutcome> GetAsync(RemoteFile file, string folder, IProgress<DownloadProgress>? progress = null,
        CancellationToken cancel = default)
    {
        Directory.CreateDirectory(folder);
        string target = Path.Combine(folder, file.FileName);
        if (File.Exists(target))
        {
            string md5 = Md5Of(target);
            if (md5 == file.Md5) return DownloadOutcome.AlreadyPresent;
            throw new InvalidDataException($"{target}: exists but its MD5 is {md5}, not the published {file.Md5}; delete it to download again");
        }
        string part = target + ".part";
        var failures = new List<string>();
        foreach (string url in file.Urls)
        {
            bool resumed;
            try { resumed = await FetchAsync(url, part, file.FileName, progress, cancel); }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException && !cancel.IsCancellationRequested)
            {
                failures.Add($"{url}: {OneLine(e)}");
                continue;
            }
            string md5 = Md5Of(part);
            if (md5 != file.Md5)
            {
                File.Delete(part);
                throw new InvalidDataException($"{url}: checksum mismatch: MD5 {md5}, expected {file.Md5} (the download was deleted)");
            }
            File.Move(part, target, overwrite: false);
            return resumed ? DownloadOutcome.Resumed : DownloadOutcome.Downloaded;
        }
        string kept = File.Exists(part) ? $"; {new FileInfo(part).Length} bytes kept in {part}, run again to resume" : "";
        throw new IOException($"{file.FileName}: download failed ({string.Join("; ", failures)}){kept}");
    }

    /// <summary>Completes <paramref name="part"/> from <paramref name="url"/>; true when it continued existing bytes.</summary>
    private async Task<bool> FetchAsync(string url, string part, string name, IProgress<DownloadProgress>? progress, CancellationToken cancel)
    {
        long have = File.Exists(part) ? new FileInfo(part).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        stall.CancelAfter(StallTimeout);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stall.Token);
        bool resumed;
        if (have > 0 && response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            return true; // the part file is already complete: the checksum decides
        if (response.StatusCode == HttpStatusCode.PartialContent && have > 0)
        {
            var range = response.Content.Headers.ContentRange;
            if (range?.From != have) throw new IOException($"server resumed at byte {range?.From}, not at {have}");
            resumed = true;
        }
        else if (response.StatusCode == HttpStatusCode.OK)
        {
            resumed = false;
            have = 0; // the server sent the whole file: start over
        }
        else throw new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        long? total = response.Content.Headers.ContentLength is long length ? have + length : null;
        await using var body = await response.Content.ReadAsStreamAsync(stall.Token);
        await using var output = new FileStream(part, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        var buffer = new byte[1 << 16];
        long received = have;
        progress?.Report(new DownloadProgress(name, received, total));
        while (true)
        {
            stall.CancelAfter(StallTimeout);
            int n = await body.ReadAsync(buffer, stall.Token);
            if (n == 0) break;
            await output.WriteAsync(buffer.AsMemory(0, n), cancel);
            received += n;
            progress?.Report(new DownloadProgress(name, received, total));
        }
        if (total is long expected && received < expected)
            throw new IOException($"connection closed after {received} of {expected} bytes");
        return resumed;
    }

    public static string Md5Of(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(MD5.HashData(stream));
    }

    private static string OneLine(Exception e) => e.Message.ReplaceLineEndings(" ").Trim();
}
