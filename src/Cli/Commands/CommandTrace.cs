using System.CommandLine;
using Lshk.App.Tracing;
using Lshk.Kernels;
using Lshk.Kernels.Tracing;

namespace Lshk.Cli.Commands;

/// <summary>
/// A command's trace: started when the command starts, it wraps the backend the command opens in a
/// <see cref="TracingComputeBackend"/> and writes the file when the command has done its work. Without --trace it
/// wraps nothing and writes nothing, so an untraced command runs exactly the code it ran before tracing existed.
/// A command that fails writes no trace.
/// </summary>
internal sealed class CommandTrace
{
    private readonly string _command;
    private readonly string? _path;
    private readonly TraceRecorder? _recorder;

    private CommandTrace(string command, string? path, TraceRecorder? recorder)
    {
        _command = command;
        _path = path;
        _recorder = recorder;
    }

    /// <summary>Starts the trace of <paramref name="command"/> (now: the command span's start) if --trace is given.</summary>
    public static CommandTrace Start(ParseResult parse, TraceOptions options, string command)
    {
        string? path = parse.GetValue(options.Trace);
        if (path is null) return new CommandTrace(command, null, null);
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder)) throw new UsageException($"--trace {path}: the folder {folder} does not exist");
        int cap = parse.GetValue(options.MaxSpans);
        UsageException.RequireNonNegative(cap, "--trace-max-spans");
        return new CommandTrace(command, path, new TraceRecorder(cap));
    }

    public bool On => _recorder is not null;

    /// <summary>The backend the command computes with: traced when --trace is given, else <paramref name="backend"/> itself.</summary>
    public IComputeBackend Wrap(IComputeBackend backend) =>
        _recorder is null ? backend : new TracingComputeBackend(backend, _recorder);

    /// <summary>Ends the command span and writes the file (nothing without --trace).</summary>
    public void Finish()
    {
        if (_recorder is null) return;
        TraceFile.Write(_path!, _recorder, _command, _recorder.Now());
    }
}
