using Lshk.Core;
using Lshk.Data.Download;
using Lshk.Data.Sources;
using Spectre.Console;

namespace Lshk.Cli.Commands;

/// <summary>Downloads a dataset's official files (resuming partial files, verifying MD5), for `data get` and for commands that find a dataset missing.</summary>
internal static class DatasetDownload
{
    /// <summary>Environment variable naming a mirror (base URL) that replaces the official download locations.</summary>
    public const string MirrorVariable = "LSHK_DATA_MIRROR";

    public static void Fetch(DatasetSpec spec, string folder, string? mirrorUrl, IAnsiConsole console)
    {
        var files = DatasetCatalog.Files(spec.Kind);
        mirrorUrl ??= Environment.GetEnvironmentVariable(MirrorVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
        if (mirrorUrl is not null)
        {
            if (!Uri.TryCreate(mirrorUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                // Bad input rather than bad usage: the URL may come from the environment as well as from --mirror.
                throw new InputException($"mirror '{mirrorUrl}' is not an http(s) URL");
            files = files.Select(f => f.FromMirror(mirrorUrl)).ToArray();
        }
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("lshk/1.0");
        var downloader = new Downloader(http);
        foreach (var file in files)
        {
            DownloadOutcome outcome;
            if (console.Profile.Capabilities.Interactive)
            {
                outcome = DownloadOutcome.Downloaded;
                console.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask(Markup.Escape(file.FileName), maxValue: 1);
                        var progress = new Progress<DownloadProgress>(p =>
                        {
                            if (p.Total is long total) task.MaxValue = total;
                            task.Value = p.Received;
                        });
                        outcome = downloader.GetAsync(file, folder, progress).GetAwaiter().GetResult();
                        task.Value = task.MaxValue;
                    });
            }
            else outcome = downloader.GetAsync(file, folder).GetAwaiter().GetResult();
            string path = Path.Combine(folder, file.FileName);
            string what = outcome switch
            {
                DownloadOutcome.AlreadyPresent => "already present",
                DownloadOutcome.Resumed => "resumed and completed",
                _ => "downloaded",
            };
            console.WriteLine($"{path}: {what}, {new FileInfo(path).Length} bytes, MD5 {file.Md5} verified");
        }
    }

    /// <summary>
    /// For a dataset named without a path that is in none of the search folders: downloads it into the default
    /// download folder (when allowed), so `lshk train` works on a fresh machine.
    /// </summary>
    public static void EnsurePresent(DatasetSpec spec, DataLocations locations, bool allowed, IAnsiConsole console, string? mirrorUrl = null)
    {
        if (spec.Path is not null || locations.SearchFolders(spec.Id).Any(Directory.Exists)) return;
        if (!allowed) return; // Resolve will then explain where it looked and how to get the data
        string folder = locations.DownloadFolder(spec.Id);
        console.WriteLine($"{spec.Id} not found locally; downloading it to {folder}");
        try
        {
            Fetch(spec, folder, mirrorUrl, console);
        }
        catch
        {
            // Leave no empty folder behind that would later pass for the dataset (partial files are kept for resuming).
            if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
            throw;
        }
    }
}
