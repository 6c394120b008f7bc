using System.CommandLine;
using Spectre.Console;

namespace Lshk.Cli;

internal static class Output
{
    /// <summary>A Spectre console writing to the invocation's output (the terminal, or a test's writer).</summary>
    public static IAnsiConsole Console(ParseResult parse)
    {
        var writer = parse.InvocationConfiguration.Output;
        bool terminal = ReferenceEquals(writer, System.Console.Out) && !System.Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        // Redirected output has no width of its own: don't squeeze tables into 80 columns.
        if (!terminal) console.Profile.Width = 200;
        return console;
    }

    public static TextWriter Error(ParseResult parse) => parse.InvocationConfiguration.Error;
}
