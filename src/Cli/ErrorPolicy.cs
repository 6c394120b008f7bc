using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;
using Lshk.Core;
using Lshk.Kernels;

namespace Lshk.Cli;

/// <summary>
/// How every failure of a command ends: one line on stderr and an exit code from <see cref="ExitCodes"/>. Input
/// and usage problems are reported as <c>lshk: error: …</c>, device failures as <c>lshk: device error: …</c>;
/// anything else is a bug, reported as <c>lshk: internal error: …</c> with the full stack trace written to a file.
/// </summary>
internal static partial class ErrorPolicy
{
    /// <summary>The classes of failure, each with its own exit code.</summary>
    public enum Failure { BadInput, BadUsage, Device, Internal }

    public const string DetailsFilePrefix = "lshk-error-";

    /// <summary>System.CommandLine's parse errors (unknown option, missing argument, a value of the wrong type).</summary>
    public static int ReportParseErrors(ParseResult parse, TextWriter error)
    {
        string messages = string.Join("; ", parse.Errors.Select(e => InputException.OneLine(e.Message).TrimEnd('.')));
        error.WriteLine($"lshk: error: {messages} (see: {CommandPath(parse.CommandResult)} --help)");
        return ExitCodes.BadUsage;
    }

    /// <summary>
    /// Reports an exception that ended a command. <paramref name="detailsFolder"/> receives the details file of an
    /// internal error (default: the temp folder); <paramref name="args"/> are recorded in it.
    /// </summary>
    public static int Report(Exception exception, TextWriter error, IReadOnlyList<string>? args = null, string? detailsFolder = null)
    {
        var e = Unwrap(exception);
        switch (Classify(e))
        {
            case Failure.BadUsage:
                error.WriteLine($"lshk: error: {OneLine(e)}");
                return ExitCodes.BadUsage;
            case Failure.BadInput:
                error.WriteLine($"lshk: error: {(e is OutOfMemoryException ? "out of memory: " : "")}{OneLine(e)}");
                return ExitCodes.BadInput;
            case Failure.Device:
                error.WriteLine($"lshk: device error: {DeviceMessage(e)}");
                return ExitCodes.DeviceFailure;
            default:
                error.WriteLine($"lshk: internal error: {e.GetType().Name}: {OneLine(e)}, {WriteDetails(exception, args, detailsFolder)}");
                return ExitCodes.InternalError;
        }
    }

    public static Failure Classify(Exception exception)
    {
        var e = Unwrap(exception);
        if (e is UsageException) return Failure.BadUsage;
        if (e is InputException) return Failure.BadInput;
        if (Chain(e).Any(x => x is DeviceException || DeviceException.IsFromDeviceRuntime(x))) return Failure.Device;
        // The environment's own ways of saying a file cannot be used: missing, unreadable, unwritable, corrupt (a
        // damaged zip or gzip stream), or too large for this machine's memory. None of them is a bug of ours.
        if (e is IOException or UnauthorizedAccessException or InvalidDataException or OutOfMemoryException) return Failure.BadInput;
        return Failure.Internal;
    }

    /// <summary>A parallel loop's AggregateException of one failure is that failure.</summary>
    public static Exception Unwrap(Exception e)
    {
        while (e is AggregateException aggregate && aggregate.Flatten().InnerExceptions is [var only]) e = only;
        return e;
    }

    /// <summary>The message as one line, without the "(Parameter 'x')" suffix .NET adds to argument errors.</summary>
    public static string OneLine(Exception e)
    {
        string message = e is ArgumentException ? ParameterSuffix().Replace(e.Message, "") : e.Message;
        return InputException.OneLine(message);
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException) yield return x;
    }

    /// <summary>Our own DeviceException says what failed; a bare ILGPU exception is named by its type.</summary>
    private static string DeviceMessage(Exception e)
    {
        var chain = Chain(e).ToList();
        if (chain.OfType<DeviceException>().FirstOrDefault() is { } ours) return OneLine(ours);
        var runtime = chain.First(DeviceException.IsFromDeviceRuntime);
        return $"{runtime.GetType().Name}: {OneLine(runtime)}";
    }

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is CommandResult c; r = r.Parent)
            names.Insert(0, c.Command is RootCommand ? "lshk" : c.Command.Name);
        return string.Join(' ', names);
    }

    /// <summary>Writes the exception with its stack trace and inner exceptions; returns "details in FILE".</summary>
    private static string WriteDetails(Exception exception, IReadOnlyList<string>? args, string? folder)
    {
        folder ??= Path.GetTempPath();
        string stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture);
        string path = Path.Combine(folder, $"{DetailsFilePrefix}{stamp}-{Environment.ProcessId}.log");
        try
        {
            for (int n = 2; File.Exists(path); n++) path = Path.Combine(folder, $"{DetailsFilePrefix}{stamp}-{Environment.ProcessId}-{n}.log");
            File.WriteAllText(path,
                $"lshk {string.Join(' ', args ?? [])}\n{DateTime.UtcNow:O} on {Environment.OSVersion}, .NET {Environment.Version}\n\n{exception}\n");
            return $"details in {path}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"no details file ({path}: {InputException.OneLine(e.Message)})";
        }
    }

    [GeneratedRegex(@"\s*\(Parameter '[^']*'\)(\s*Actual value was [^.]*\.)?\s*$")]
    private static partial Regex ParameterSuffix();
}
