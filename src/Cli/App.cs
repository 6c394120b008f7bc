using System.CommandLine;
using System.Text.RegularExpressions;
using Lshk.Cli.Commands;

namespace Lshk.Cli;

/// <summary>The <c>lshk</c> command: builds the command tree and turns every failure into a one-line error.</summary>
public static partial class App
{
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var root = new RootCommand("lshk: few-shot image classification with locality-sensitive hash codes");
        root.Subcommands.Add(DevicesCommand.Create());
        root.Subcommands.Add(HashCommand.Create());
        root.Subcommands.Add(SearchCommand.Create());
        root.Subcommands.Add(DataCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(EmbedCommand.Create());
        root.Subcommands.Add(EnrollCommand.Create());
        root.Subcommands.Add(ClassifyCommand.Create());
        var bench = new Command("bench", "Benchmarks");
        bench.Subcommands.Add(BenchMatchCommand.Create());
        bench.Subcommands.Add(BenchTrainCommand.Create());
        root.Subcommands.Add(bench);

        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        if (output is not null) config.Output = output;
        if (error is not null) config.Error = error;
        var stderr = error ?? Console.Error;
        try
        {
            return root.Parse(args).Invoke(config);
        }
        catch (Exception ex) when (IsUserError(ex))
        {
            stderr.WriteLine($"lshk: error: {OneLine(ex)}");
            return 1;
        }
    }

    /// <summary>Errors caused by input (files, values, options), reported as one line rather than a stack trace.</summary>
    private static bool IsUserError(Exception ex) => ex is ArgumentException or IOException or InvalidDataException
        or InvalidOperationException or UnauthorizedAccessException or FormatException or OutOfMemoryException
        || ex.GetType().Name.EndsWith("FormatException", StringComparison.Ordinal);

    public static string OneLine(Exception ex)
    {
        string message = ex.Message;
        if (ex is ArgumentException) message = ParameterSuffix().Replace(message, "");
        return message.ReplaceLineEndings(" ").Trim();
    }

    [GeneratedRegex(@"\s*\(Parameter '[^']*'\)(\s*Actual value was [^.]*\.)?\s*$")]
    private static partial Regex ParameterSuffix();
}
