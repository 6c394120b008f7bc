using Lshk.Data.Datasets;

namespace Lshk.Data.Download;

/// <summary>A file of an official dataset distribution: where to get it (mirrors in order) and its published MD5.</summary>
public sealed record RemoteFile(string FileName, IReadOnlyList<string> Urls, string Md5)
{
    /// <summary>The same file from another base URL (a mirror, or a test server).</summary>
    public RemoteFile FromMirror(string baseUrl) => this with { Urls = [baseUrl.TrimEnd('/') + "/" + FileName] };
}

/// <summary>The official files of a dataset kind and their published checksums (<see cref="DatasetKind.Downloads"/>).</summary>
public static class DatasetCatalog
{
    public static IReadOnlyList<RemoteFile> Files(DatasetKind kind) =>
        kind.Downloads is { Count: > 0 } files ? files
        : throw new Lshk.Core.InputException($"dataset '{kind.Id}' is not downloadable: give its path as {kind.Id}:PATH");
}
