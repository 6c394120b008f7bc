using System.CommandLine;
using Lshk.Kernels.Tracing;

namespace Lshk.Cli.Commands;

/// <summary>The options of a command that can write a trace of its kernel calls (train, eval, classify).</summary>
internal sealed class TraceOptions
{
    public Option<string?> Trace { get; } = new("--trace")
    {
        Description = "Write a Chrome trace-event JSON file (Perfetto, chrome://tracing): a span per kernel call with its device and bytes read and written, under one span for the command",
    };

    /// <summary>The span cap, lowered by tests to see the aggregation without a long run.</summary>
    public Option<int> MaxSpans { get; } = new("--trace-max-spans")
    {
        Hidden = true,
        Description = "Kernel calls kept one by one in the trace; later calls are only counted in their operation's summary",
        DefaultValueFactory = _ => TraceRecorder.DefaultMaxSpans,
    };

    public IEnumerable<Option> All => [Trace, MaxSpans];
}
