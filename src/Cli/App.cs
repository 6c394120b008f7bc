using System.CommandLine;
using Lshk.Cli.Commands;

namespace Lshk.Cli;

/// <summary>The <c>lshk</c> command: builds the command tree, runs it, and leaves every failure to <see cref="ErrorPolicy"/>.</summary>
public static class App
{
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var stderr = error ?? Console.Error;
        try
        {
            var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
            if (output is not null) config.Output = output;
            if (error is not null) config.Error = error;
            var parse = Commands().Parse(args);
            // System.CommandLine would print its errors with the help text and exit 1; ours are one line and exit 2.
            return parse.Errors.Count > 0 ? ErrorPolicy.ReportParseErrors(parse, stderr) : parse.Invoke(config);
        }
        catch (Exception e)
        {
            return ErrorPolicy.Report(e, stderr, args);
        }
    }

    /// <summary>An exception's message as one line (kept for the commands that print one themselves).</summary>
    public static string OneLine(Exception ex) => ErrorPolicy.OneLine(ex);

    private static RootCommand Commands()
    {
        var root = new RootCommand("lshk: few-shot image classification with locality-sensitive hash codes");
        root.Subcommands.Add(DevicesCommand.Create());
        root.Subcommands.Add(HashCommand.Create());
        root.Subcommands.Add(SearchCommand.Create());
        root.Subcommands.Add(DataCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(PlotLogCommand.Create());
        root.Subcommands.Add(EmbedCommand.Create());
        root.Subcommands.Add(EnrollCommand.Create());
        root.Subcommands.Add(ClassifyCommand.Create());
        root.Subcommands.Add(FitHashCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        var bench = new Command("bench", "Benchmarks");
        bench.Subcommands.Add(BenchMatchCommand.Create());
        bench.Subcommands.Add(BenchTrainCommand.Create());
        root.Subcommands.Add(bench);
        return root;
    }
}
