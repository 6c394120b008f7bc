using System.Text.Json;
using Lshk.Data;
using Lshk.Kernels.Tracing;

namespace Lshk.App.Tracing;

/// <summary>
/// Writes what a <see cref="TraceRecorder"/> collected as a Chrome trace-event file (the JSON object format,
/// <c>{"traceEvents": [...]}</c>, which Perfetto and chrome://tracing open): one complete event (<c>"ph": "X"</c>) for
/// the command, from the recorder's start to <paramref name="endTicks"/>, then one per kept kernel call with its device,
/// bytes read and written and argument sizes in <c>args</c>, then one instant event per operation (<c>"ph": "i"</c>,
/// category "summary", at the command's end) with the totals of all its calls, those past the span cap included.
/// Times are microseconds from the recorder's start; every event has this process's pid and the calling thread's tid.
/// </summary>
public static class TraceFile
{
    /// <summary>Category of the command's span, so a reader can find the root.</summary>
    public const string CommandCategory = "command";
    public const string KernelCategory = "kernel";
    public const string SummaryCategory = "summary";

    public static void Write(string path, TraceRecorder recorder, string command, long endTicks)
    {
        int pid = Environment.ProcessId;
        var spans = recorder.Spans;
        var sums = recorder.Aggregates;
        double end = TraceRecorder.Microseconds(endTicks);
        AtomicFile.Write(path, stream =>
        {
            using var json = new Utf8JsonWriter(stream);
            json.WriteStartObject();
            json.WriteString("displayTimeUnit", "ms");
            json.WriteStartArray("traceEvents");

            json.WriteStartObject();
            Event(json, command, CommandCategory, "X", 0, pid, Environment.CurrentManagedThreadId);
            json.WriteNumber("dur", end);
            json.WriteStartObject("args");
            json.WriteNumber("kernel_calls", sums.Sum(s => s.Calls));
            json.WriteNumber("spans_kept", spans.Count);
            json.WriteNumber("span_cap", recorder.MaxSpans);
            json.WriteEndObject();
            json.WriteEndObject();

            foreach (var span in spans)
            {
                json.WriteStartObject();
                Event(json, span.Name, KernelCategory, "X", TraceRecorder.Microseconds(span.StartTicks), pid, span.Thread);
                json.WriteNumber("dur", TraceRecorder.Microseconds(span.DurationTicks));
                json.WriteStartObject("args");
                Bytes(json, span.Device, span.BytesRead, span.BytesWritten);
                foreach (var (name, value) in span.Shape) json.WriteNumber(name, value);
                json.WriteEndObject();
                json.WriteEndObject();
            }

            foreach (var sum in sums)
            {
                json.WriteStartObject();
                Event(json, sum.Name, SummaryCategory, "i", end, pid, Environment.CurrentManagedThreadId);
                json.WriteString("s", "p"); // process-wide instant: drawn across the whole process in the viewer
                json.WriteStartObject("args");
                Bytes(json, sum.Device, sum.BytesRead, sum.BytesWritten);
                json.WriteNumber("calls", sum.Calls);
                json.WriteNumber("calls_not_kept", sum.Dropped);
                json.WriteNumber("total_us", TraceRecorder.Microseconds(sum.Ticks));
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    private static void Event(Utf8JsonWriter json, string name, string category, string phase, double ts, int pid, int tid)
    {
        json.WriteString("name", name);
        json.WriteString("cat", category);
        json.WriteString("ph", phase);
        json.WriteNumber("ts", ts);
        json.WriteNumber("pid", pid);
        json.WriteNumber("tid", tid);
    }

    private static void Bytes(Utf8JsonWriter json, string device, long read, long written)
    {
        json.WriteString("device", device);
        json.WriteNumber("bytes_read", read);
        json.WriteNumber("bytes_written", written);
    }
}
