using System.CommandLine;
using Lshk.Data.Download;
using Lshk.Data.Sources;
using Spectre.Console;

namespace Lshk.Cli.Commands;

/// <summary><c>lshk data get NAME</c>: downloads the official files, resuming partial downloads, and verifies their MD5.</summary>
internal static class DataGetCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "omniglot, mnist, cifar10 or cifar100" };
        var dir = new Option<string?>("--dir") { Description = "Folder to put the files in (default: $LSHK_DATA/NAME, else data/NAME in the repository)" };
        var mirror = new Option<string?>("--mirror") { Description = "Base URL of a mirror holding the same files (replaces the official locations)" };
        var command = new Command("get", "Download a dataset's official files, verified against their published MD5 checksums") { name, dir, mirror };
        command.SetAction(parse =>
        {
            var spec = DatasetSpec.Parse(parse.GetValue(name)!);
            if (spec.Path is not null) throw new ArgumentException("give the destination with --dir, not NAME:PATH");
            var files = DatasetCatalog.Files(spec.Name);
            string? mirrorUrl = parse.GetValue(mirror);
            if (mirrorUrl is not null)
            {
                if (!Uri.TryCreate(mirrorUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                    throw new ArgumentException($"--mirror '{mirrorUrl}' is not an http(s) URL");
                files = files.Select(f => f.FromMirror(mirrorUrl)).ToArray();
            }
            string folder = parse.GetValue(dir) ?? DataLocations.FromEnvironment().DownloadFolder(spec.Id);
            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            http.DefaultRequestHeaders.UserAgent.ParseAdd("lshk/1.0");
            var downloader = new Downloader(http);
            var console = Output.Console(parse);
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
            return 0;
        });
        return command;
    }
}
