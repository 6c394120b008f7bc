using System.CommandLine;
using Lshk.Data.Sources;
using Spectre.Console;

namespace Lshk.Cli.Commands;

/// <summary><c>lshk data get NAME</c>: downloads the official files, resuming partial downloads, and verifies their MD5.</summary>
internal static class DataGetCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = string.Join(", ", Lshk.Data.Datasets.DatasetRegistry.All.Where(k => k.Downloads.Count > 0).Select(k => k.Id)) };
        var dir = new Option<string?>("--dir") { Description = "Folder to put the files in (default: $LSHK_DATA/NAME, else data/NAME in the repository)" };
        var mirror = new Option<string?>("--mirror") { Description = "Base URL of a mirror holding the same files (replaces the official locations; default $LSHK_DATA_MIRROR)" };
        var command = new Command("get", "Download a dataset's official files, verified against their published MD5 checksums") { name, dir, mirror };
        command.SetAction(parse =>
        {
            var spec = DatasetSpec.Parse(parse.GetValue(name)!);
            if (spec.Path is not null) throw new UsageException("give the destination with --dir, not NAME:PATH");
            if (parse.GetValue(dir) is null && spec.Kind.InstalledFolders.FirstOrDefault(Directory.Exists) is { } installed)
            {
                Output.Console(parse).WriteLine($"{spec.Id}: installed by a system package at {installed}, used from there; nothing to download (--dir FOLDER downloads a copy)");
                return 0;
            }
            string folder = parse.GetValue(dir) ?? DataLocations.FromEnvironment().DownloadFolder(spec.Id);
            DatasetDownload.Fetch(spec, folder, parse.GetValue(mirror), Output.Console(parse));
            return 0;
        });
        return command;
    }
}
