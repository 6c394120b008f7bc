using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Lshk.Tests.Data;

/// <summary>
/// A minimal HTTP/1.1 file server on 127.0.0.1 for download tests: serves byte arrays by path, honours
/// <c>Range: bytes=N-</c> (206) unless told to ignore it, can cut a response short, and records every request.
/// One connection at a time; it stops when disposed.
/// </summary>
internal sealed class LocalHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public LocalHttpServer()
    {
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Dictionary<string, byte[]> Files { get; } = new();
    /// <summary>Answer every request with the whole file (200), as a server without range support.</summary>
    public bool IgnoreRange { get; set; }
    /// <summary>Close the connection after this many body bytes (once), announcing the full length.</summary>
    public int? CutAfter { get; set; }
    public List<(string Path, string? Range)> Requests { get; } = new();

    public string BaseUrl => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            using (client)
            {
                try { await HandleAsync(client.GetStream()); }
                catch (IOException) { }
            }
        }
    }

    private async Task HandleAsync(NetworkStream stream)
    {
        var reader = new StreamReader(stream, Encoding.ASCII, false, 1024, leaveOpen: true);
        string? requestLine = await reader.ReadLineAsync();
        if (requestLine is null) return;
        string path = requestLine.Split(' ')[1].TrimStart('/');
        string? range = null;
        for (string? line; !string.IsNullOrEmpty(line = await reader.ReadLineAsync());)
            if (line.StartsWith("Range:", StringComparison.OrdinalIgnoreCase)) range = line[6..].Trim();
        lock (Requests) Requests.Add((path, range));
        if (!Files.TryGetValue(path, out var body))
        {
            await Write(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", []);
            return;
        }
        long from = 0;
        if (range is not null && !IgnoreRange && range.StartsWith("bytes=") && range.EndsWith('-'))
            from = long.Parse(range[6..^1]);
        if (from >= body.Length && from > 0)
        {
            await Write(stream, $"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{body.Length}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", []);
            return;
        }
        var slice = body[(int)from..];
        string head = from > 0
            ? $"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {from}-{body.Length - 1}/{body.Length}\r\n"
            : "HTTP/1.1 200 OK\r\n";
        head += $"Content-Length: {slice.Length}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n";
        if (CutAfter is int cut && cut < slice.Length)
        {
            CutAfter = null;
            slice = slice[..cut];
        }
        await Write(stream, head, slice);
    }

    private static async Task Write(NetworkStream stream, string head, byte[] body)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(body);
        await stream.FlushAsync();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
