using Lshk.Data.Datasets;
using System.Security.Cryptography;
using Lshk.Data.Download;
using Lshk.Data.Sources;
using Lshk.Tests.Cli;

namespace Lshk.Tests.Data;

/// <summary>Downloads from a local HTTP server on 127.0.0.1 (never the real URLs): verification, resume, failures.</summary>
public sealed class DownloaderTests : IDisposable
{
    private readonly TempFolder _tmp = new();
    private readonly LocalHttpServer _server = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly byte[] _content = Enumerable.Range(0, 200_000).Select(i => (byte)(i * 131 % 253)).ToArray();

    public DownloaderTests() => _server.Files["files/data.bin"] = _content;

    public void Dispose()
    {
        _http.Dispose();
        _server.Dispose();
        _tmp.Dispose();
    }

    private RemoteFile File(string? md5 = null) =>
        new RemoteFile("data.bin", [], md5 ?? Convert.ToHexStringLower(MD5.HashData(_content))).FromMirror(_server.BaseUrl + "files");

    private string Target => _tmp.File("data.bin");

    private Task<DownloadOutcome> Get(RemoteFile file, IProgress<DownloadProgress>? progress = null) =>
        new Downloader(_http).GetAsync(file, _tmp.Path, progress, TestContext.Current.CancellationToken);

    [Fact]
    public async Task DownloadsAndVerifies()
    {
        var reports = new List<DownloadProgress>();
        var outcome = await Get(File(), new SyncProgress(reports.Add));
        Assert.Equal(DownloadOutcome.Downloaded, outcome);
        Assert.Equal(_content, System.IO.File.ReadAllBytes(Target));
        Assert.False(System.IO.File.Exists(Target + ".part"));
        Assert.Equal(_content.Length, reports[^1].Received);
        Assert.Equal(_content.Length, reports[^1].Total);
        Assert.Equal(reports.Select(r => r.Received).Order(), reports.Select(r => r.Received));
        // A second run finds the verified file and asks the server nothing.
        int requests = _server.Requests.Count;
        Assert.Equal(DownloadOutcome.AlreadyPresent, await Get(File()));
        Assert.Equal(requests, _server.Requests.Count);
    }

    [Fact]
    public async Task ResumesAPartialDownloadWithARangeRequest()
    {
        System.IO.File.WriteAllBytes(Target + ".part", _content[..70_000]);
        var outcome = await Get(File());
        Assert.Equal(DownloadOutcome.Resumed, outcome);
        Assert.Equal("bytes=70000-", Assert.Single(_server.Requests).Range);
        Assert.Equal(_content, System.IO.File.ReadAllBytes(Target));
    }

    [Fact]
    public async Task InterruptedDownloadKeepsItsPartAndTheNextRunResumes()
    {
        _server.CutAfter = 50_000;
        var e = await Assert.ThrowsAsync<IOException>(() => Get(File()));
        Assert.Contains("run again to resume", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        long kept = new FileInfo(Target + ".part").Length;
        Assert.InRange(kept, 1, 50_000);
        Assert.False(System.IO.File.Exists(Target));
        Assert.Equal(DownloadOutcome.Resumed, await Get(File()));
        Assert.Equal($"bytes={kept}-", _server.Requests[^1].Range);
        Assert.Equal(_content, System.IO.File.ReadAllBytes(Target));
    }

    [Fact]
    public async Task ServerWithoutRangeSupportRestartsFromTheBeginning()
    {
        _server.IgnoreRange = true;
        System.IO.File.WriteAllBytes(Target + ".part", _content[..1000]);
        Assert.Equal(DownloadOutcome.Downloaded, await Get(File()));
        Assert.Equal(_content, System.IO.File.ReadAllBytes(Target));
    }

    [Fact]
    public async Task ChecksumMismatchFailsAndLeavesNothing()
    {
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Get(File(new string('0', 32))));
        Assert.Contains("checksum mismatch", e.Message);
        Assert.Contains(Convert.ToHexStringLower(MD5.HashData(_content)), e.Message);
        Assert.False(System.IO.File.Exists(Target));
        Assert.False(System.IO.File.Exists(Target + ".part"));
    }

    [Fact]
    public async Task ExistingFileWithWrongChecksumIsNotOverwritten()
    {
        System.IO.File.WriteAllBytes(Target, [1, 2, 3]);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Get(File()));
        Assert.Contains("delete it to download again", e.Message);
        Assert.Equal([1, 2, 3], System.IO.File.ReadAllBytes(Target));
    }

    [Fact]
    public async Task FallsBackToTheNextMirror()
    {
        var file = File() with { Urls = [_server.BaseUrl + "missing/data.bin", _server.BaseUrl + "files/data.bin"] };
        Assert.Equal(DownloadOutcome.Downloaded, await Get(file));
        Assert.Equal(["missing/data.bin", "files/data.bin"], _server.Requests.Select(r => r.Path));
        var none = File() with { Urls = [_server.BaseUrl + "missing/data.bin"], FileName = "other.bin" };
        var e = await Assert.ThrowsAsync<IOException>(() => Get(none));
        Assert.Contains("HTTP 404", e.Message);
    }

    [Fact]
    public void CatalogListsOfficialFilesWithMd5s()
    {
        foreach (var name in new[] { "omniglot", "mnist", "cifar10", "cifar100" }.Select(DatasetRegistry.Get))
            Assert.All(DatasetCatalog.Files(name), f =>
            {
                Assert.Matches("^[0-9a-f]{32}$", f.Md5);
                Assert.All(f.Urls, u => Assert.EndsWith("/" + f.FileName, u));
            });
        Assert.Equal(4, DatasetCatalog.Files(DatasetRegistry.Get("mnist")).Count);
        Assert.Throws<Lshk.Core.InputException>(() => DatasetCatalog.Files(DatasetRegistry.Get("folder")));
    }

    [Fact]
    public void CliGetReportsAChecksumMismatchInOneLine()
    {
        // The local server holds files named like MNIST's but with other bytes: the published MD5s cannot match.
        foreach (var f in DatasetCatalog.Files(DatasetRegistry.Get("mnist"))) _server.Files["m/" + f.FileName] = [1, 2, 3];
        var (code, _, err) = CliRunner.Run("data", "get", "mnist", "--dir", _tmp.Path, "--mirror", _server.BaseUrl + "m");
        Assert.Equal(1, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("train-images-idx3-ubyte.gz: checksum mismatch", err);
        Assert.Contains("expected f68b3c2dcbeaaa9fbdd348bbdeb94873", err);
        Assert.Empty(Directory.GetFiles(_tmp.Path));
    }

    [Fact]
    public void CliGetRejectsBadArguments()
    {
        var (code, _, err) = CliRunner.Run("data", "get", "folder:/x");
        Assert.Equal(2, code);   // usage: the destination goes in --dir
        Assert.Contains("--dir", err);
        (code, _, err) = CliRunner.Run("data", "get", "mnist", "--mirror", "ftp://x");
        Assert.Equal(1, code);
        Assert.Contains("not an http(s) URL", err);
    }

    /// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
