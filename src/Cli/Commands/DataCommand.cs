using System.CommandLine;

namespace Lshk.Cli.Commands;

/// <summary><c>lshk data</c>: get datasets, describe them, draw episode lists.</summary>
internal static class DataCommand
{
    public static Command Create()
    {
        var data = new Command("data", "Datasets: download (get), describe (info), draw episode lists (episodes)");
        data.Subcommands.Add(DataGetCommand.Create());
        data.Subcommands.Add(DataInfoCommand.Create());
        data.Subcommands.Add(DataEpisodesCommand.Create());
        return data;
    }
}
