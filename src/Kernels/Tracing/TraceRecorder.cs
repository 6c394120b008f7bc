using System.Diagnostics;

namespace Lshk.Kernels.Tracing;

/// <summary>One kernel call as the trace keeps it: start and length in stopwatch ticks since the recorder began.</summary>
public sealed record TraceSpan(string Name, string Device, long StartTicks, long DurationTicks, int Thread,
    long BytesRead, long BytesWritten, (string Name, long Value)[] Shape);

/// <summary>Every call of one operation, summed: what remains of the calls past the span cap.</summary>
public sealed class TraceAggregate(string name, string device)
{
    public string Name { get; } = name;
    public string Device { get; } = device;
    public long Calls { get; internal set; }
    public long Ticks { get; internal set; }
    public long BytesRead { get; internal set; }
    public long BytesWritten { get; internal set; }
    /// <summary>Calls counted here but not kept as spans (past the cap).</summary>
    public long Dropped { get; internal set; }
}

/// <summary>
/// Collects the kernel calls of one command for a trace file. The size rule: every call is counted in its operation's
/// <see cref="TraceAggregate"/> (calls, time, bytes); the first <see cref="MaxSpans"/> calls are also kept one by one,
/// later ones only in the sums. A span costs about 250 bytes of JSON, so the default cap keeps a file near 25 MB
/// however long a training run is. Thread-safe: the CPU evaluation runs episodes on several threads at once.
/// </summary>
public sealed class TraceRecorder
{
    /// <summary>Spans kept one by one: ~25 MB of JSON, half the ~50 MB a trace viewer opens comfortably.</summary>
    public const int DefaultMaxSpans = 100_000;

    private readonly long _origin = Stopwatch.GetTimestamp();
    private readonly Lock _guard = new();
    private readonly List<TraceSpan> _spans = [];
    private readonly Dictionary<string, TraceAggregate> _aggregates = [];

    public TraceRecorder(int maxSpans = DefaultMaxSpans)
    {
        Check.NonNegative(maxSpans, nameof(maxSpans));
        MaxSpans = maxSpans;
    }

    public int MaxSpans { get; }

    /// <summary>Ticks since the recorder began (the trace's time origin).</summary>
    public long Now() => Stopwatch.GetTimestamp() - _origin;

    /// <summary>Microseconds of <paramref name="ticks"/> stopwatch ticks.</summary>
    public static double Microseconds(long ticks) => ticks * 1e6 / Stopwatch.Frequency;

    /// <summary>Records a call that began at <paramref name="start"/> (from <see cref="Now"/>) and ends now.</summary>
    public void End(string name, string device, long start, long bytesRead, long bytesWritten, params (string, long)[] shape)
    {
        long duration = Now() - start;
        int thread = Environment.CurrentManagedThreadId;
        lock (_guard)
        {
            if (!_aggregates.TryGetValue(name, out var sum)) _aggregates[name] = sum = new TraceAggregate(name, device);
            sum.Calls++;
            sum.Ticks += duration;
            sum.BytesRead += bytesRead;
            sum.BytesWritten += bytesWritten;
            if (_spans.Count < MaxSpans) _spans.Add(new TraceSpan(name, device, start, duration, thread, bytesRead, bytesWritten, shape));
            else sum.Dropped++;
        }
    }

    /// <summary>The spans kept, in the order the calls ended.</summary>
    public IReadOnlyList<TraceSpan> Spans
    {
        get { lock (_guard) return _spans.ToArray(); }
    }

    /// <summary>One sum per operation, by name.</summary>
    public IReadOnlyList<TraceAggregate> Aggregates
    {
        get { lock (_guard) return _aggregates.Values.OrderBy(a => a.Name, StringComparer.Ordinal).ToArray(); }
    }
}
