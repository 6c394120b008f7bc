using System.CommandLine;

namespace Lshk.Cli.Commands;

/// <summary>
/// A command made of an options object and a run method: the shape every command file takes, so a command file holds
/// only what is its own. A job's bad setting is reported as the option that set it (<see cref="SettingErrors"/>).
/// </summary>
internal static class OptionsCommand
{
    public static Command Create(string name, string description, IEnumerable<Option> options, Func<ParseResult, int> run)
    {
        var command = new Command(name, description);
        foreach (var option in options) command.Options.Add(option);
        command.SetAction(parse => SettingErrors.AsOptions(() => run(parse)));
        return command;
    }
}
