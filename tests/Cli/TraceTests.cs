using System.Diagnostics;
using System.Text.Json;
using Lshk.Kernels;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Nn;
using Lshk.Kernels.Nn.Cpu;
using Lshk.Kernels.Tracing;
using Lshk.Nn;
using Lshk.Tests.Data;
using Lshk.Tests.Gpu;

namespace Lshk.Tests.Cli;

/// <summary>
/// <c>--trace</c> on eval and train: the file is trace-event JSON with one command span, every kernel span inside it,
/// byte counts equal to what the options imply, a command span as long as the command took, and the span cap turning
/// later calls into per-operation sums.
/// </summary>
public class TraceTests
{
    private static readonly string Cache = Path.Combine(Path.GetTempPath(), "lshk-trace-tests-cache");

    /// <summary>One event of the file, as read back.</summary>
    private sealed record Event(string Name, string Category, string Phase, double Ts, double Dur, int Pid, JsonElement Args)
    {
        public long Arg(string name) => Args.GetProperty(name).GetInt64();
    }

    /// <summary>Reads the file and checks what every event must have; the root is the one span of category "command".</summary>
    private static (Event Root, Event[] Spans, Event[] Sums) Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var events = doc.RootElement.GetProperty("traceEvents").EnumerateArray().Select(e =>
        {
            string phase = e.GetProperty("ph").GetString()!;
            Assert.Contains(phase, new[] { "X", "i" });
            Assert.Equal(JsonValueKind.Number, e.GetProperty("tid").ValueKind);
            double dur = phase == "X" ? e.GetProperty("dur").GetDouble() : 0;
            Assert.True(dur >= 0);
            return new Event(e.GetProperty("name").GetString()!, e.GetProperty("cat").GetString()!, phase,
                e.GetProperty("ts").GetDouble(), dur, e.GetProperty("pid").GetInt32(), e.GetProperty("args").Clone());
        }).ToArray();
        var root = Assert.Single(events, e => e.Category == "command");
        Assert.Equal("X", root.Phase);
        var spans = events.Where(e => e.Phase == "X" && e != root).ToArray();
        var sums = events.Where(e => e.Phase == "i").ToArray();
        // Every other event lies within the command's span, in the same process (a µs hundredth for rounding).
        const double Rounding = 0.01;
        Assert.All(events.Where(e => e != root), e =>
        {
            Assert.Equal(root.Pid, e.Pid);
            Assert.InRange(e.Ts, root.Ts - Rounding, root.Ts + root.Dur + Rounding);
            Assert.True(e.Ts + e.Dur <= root.Ts + root.Dur + Rounding, $"{e.Name} ends after the command");
        });
        Assert.All(spans.Concat(sums), e =>
        {
            Assert.False(string.IsNullOrEmpty(e.Args.GetProperty("device").GetString()));
            Assert.True(e.Arg("bytes_read") >= 0 && e.Arg("bytes_written") >= 0);
        });
        return (root, spans, sums);
    }

    [Fact]
    public void EvalTraceNestsUnderTheCommandWithTheBytesTheArgumentsImplyAndItsWallTime()
    {
        using var dir = new TempFolder();
        var config = new ConvNetConfig(Blocks: 3, Filters: 8);
        string model = EmbedderTests.SaveRandomModel(dir, config);
        string trace = dir.File("trace.json");
        const int Ways = 5, Shots = 1, Queries = 2, Planes = 64;
        string[] args = ["eval", "--model", model, "--data", "omniglot:" + DataFiles.OmniglotFolder, "--ways", $"{Ways}", "--shots", $"{Shots}",
            "--planes", $"{Planes}", "--hash", "gaussian", "--methods", "cosine,hamming", "--episodes", "4", "--queries", $"{Queries}",
            "--cache-dir", Cache, "--device", "cpu", "--trace", trace];
        // The parser and the trace writer run outside the command's span; a first run compiles them, so the timed run
        // measures the command, not the JIT (the comparison below is what the issue asks: the span matches the wall time).
        // Up to three timed runs: a collection or a descheduling outside the span (the suite runs tests in parallel)
        // can push one run past the tolerance, while a span that misses part of the command misses it every time.
        const int TimedRuns = 3;
        const double Tolerance = 0.1;
        static bool Matches(double spanUs, double wallUs) => Math.Abs(spanUs - wallUs) <= Tolerance * wallUs;
        Assert.Equal(0, CliRunner.Run(args).Code);
        double wallUs = 0, spanUs = -1;
        (int Code, string Out, string Err) run = default;
        for (int attempt = 0; attempt < TimedRuns && !Matches(spanUs, wallUs); attempt++)
        {
            var watch = Stopwatch.StartNew();
            run = CliRunner.Run(args);
            watch.Stop();
            Assert.True(run.Code == 0, run.Err);
            wallUs = watch.Elapsed.TotalMicroseconds;
            spanUs = Read(trace).Root.Dur;
        }
        Assert.InRange(spanUs, (1 - Tolerance) * wallUs, (1 + Tolerance) * wallUs);

        var (root, spans, sums) = Read(trace);
        Assert.Equal("eval", root.Name);

        // Hashing an episode projects its supports and queries at once: x (rows × D), planes (P × D) and the P offsets
        // of the support-mean centring read, one packed code of ⌈P/32⌉ words per row written.
        int supports = Ways * Shots, queries = Ways * Queries, rows = supports + queries, dim = config.EmbeddingDim, words = (Planes + 31) / 32;
        var pack = spans.Where(s => s.Name == "project-pack" && s.Arg("n") == rows && s.Arg("p") == Planes).ToArray();
        Assert.Equal(4, pack.Length);   // one per episode
        Assert.All(pack, s =>
        {
            Assert.Equal(4L * (rows * dim + Planes * dim + Planes), s.Arg("bytes_read"));
            Assert.Equal(4L * rows * words, s.Arg("bytes_written"));
        });
        // Hamming top-1: the queries' codes and the N supports' codes (N × P/8 bytes) read; an index and a score per query written.
        var hamming = spans.Where(s => s.Name == "hamming-topk").ToArray();
        Assert.Equal(4, hamming.Length);
        Assert.All(hamming, s =>
        {
            Assert.Equal(supports * Planes / 8 + queries * Planes / 8, s.Arg("bytes_read"));
            Assert.Equal(queries * (sizeof(int) + sizeof(int)), s.Arg("bytes_written"));
        });
        Assert.Contains(spans, s => s.Name == "cosine-topk" && s.Arg("n") == supports);
        // Embedding the test images runs the network's blocks, traced as the neural-net ops.
        Assert.Contains(spans, s => s.Name == "conv-block-forward");
        // Nothing was over the cap: each operation's sum counts exactly its spans.
        Assert.All(sums, sum => Assert.Equal(spans.Count(s => s.Name == sum.Name), sum.Arg("calls")));
        Assert.Contains("time and memory per support", run.Out);
    }

    [Fact]
    public void TrainTraceHasConvSpansAndPastTheCapOnlyPerOperationSums()
    {
        using var dir = new TempFolder();
        string trace = dir.File("train.json");
        const int Cap = 50, Ways = 5, Shots = 2, Queries = 3, Filters = 8, Episodes = 3;
        var (code, _, error) = CliRunner.Run("train", "--data", "omniglot:" + DataFiles.OmniglotFolder, "--cache-dir", Cache,
            "--ways", $"{Ways}", "--shots", $"{Shots}", "--queries", $"{Queries}", "--layers", "2", "--filters", $"{Filters}",
            "--episodes", $"{Episodes}", "--validation-episodes", "5", "--summary-episodes", "5", "--checkpoint-every", "0",
            "--out", dir.File("m.safetensors"), "--device", "cpu", "--trace", trace, "--trace-max-spans", $"{Cap}",
            "--final-pool", "on"); // every block a fused conv block, as counted below (Omniglot's default leaves the last unpooled)
        Assert.True(code == 0, error);

        var (root, spans, sums) = Read(trace);
        Assert.Equal("train", root.Name);
        Assert.Equal(Cap, spans.Length);
        long calls = root.Arg("kernel_calls");
        Assert.True(calls > Cap, $"{calls} calls");
        Assert.Equal(calls, sums.Sum(s => s.Arg("calls")));
        Assert.Equal(calls - Cap, sums.Sum(s => s.Arg("calls_not_kept")));
        // The first training episode's first block: the whole episode's images through the first conv.
        var first = spans.First(s => s.Name.StartsWith("conv", StringComparison.Ordinal));
        Assert.Equal(Ways * (Shots + Queries), first.Arg("batch"));
        Assert.Equal(1, first.Arg("in"));
        Assert.Equal(Filters, first.Arg("out"));
        Assert.True(first.Arg("bytes_read") >= 4L * (Ways * (Shots + Queries) * 28 * 28 + Filters * 9));
        // Every episode trains both blocks forward and backward and updates with Adam, summed past the cap.
        Assert.True(sums.Single(s => s.Name == "conv-block-backward").Arg("calls") >= 2 * Episodes);
        Assert.True(sums.Single(s => s.Name == "adam").Arg("calls") >= Episodes);
        Assert.Contains(sums, s => s.Name.EndsWith("-loss", StringComparison.Ordinal));
    }

    [Trait(TestGpu.Trait, TestGpu.Kernels)]
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TracedOpsRecordEachCallWithTheBytesOfItsArgumentsOnBothBackends(bool onGpu)
    {
        string device = onGpu ? TestGpu.Device : "cpu";
        var recorder = new TraceRecorder();
        using var traced = new TracingComputeBackend(Devices.Open(Devices.Parse(device)), recorder);
        using var ops = NnOps.For(traced);
        // A 2-image 1×5×5 batch through 3 filters of 3×3 with bias (padding 1): x, weights and bias read, y written.
        var shape = new Conv2dShape(Batch: 2, InChannels: 1, Height: 5, Width: 5, OutChannels: 3);
        using var x = ops.Allocate(shape.InputLength);
        using var w = ops.Allocate(shape.WeightLength);
        using var b = ops.Allocate(3);
        using var y = ops.Allocate(shape.OutputLength);
        ops.Conv2dForward(shape, x, w, b, y);
        ops.ReluForward(y, y, 10);
        var spans = recorder.Spans;
        Assert.Equal(["conv-forward", "relu-forward"], spans.Select(s => s.Name));
        Assert.Equal(4L * (2 * 25 + 3 * 9 + 3), spans[0].BytesRead);
        Assert.Equal(4L * 2 * 3 * 25, spans[0].BytesWritten);
        Assert.Equal((40L, 40L), (spans[1].BytesRead, spans[1].BytesWritten));
        Assert.All(spans, s => Assert.Equal(ops.Device.Name, s.Device));   // the ops name their own device (CPU: their worker threads)
        Assert.True(spans[1].StartTicks >= spans[0].StartTicks + spans[0].DurationTicks);
        // The registry's lookup by backend type still finds the form for the ops underneath.
        Assert.Equal(device == "cpu" ? "CpuHashLayer" : "IlgpuHashLayer", NnOpRegistry.Create<IHashLayerOp>(ops).GetType().Name);
    }

    [Fact]
    public void PastTheCapCallsAreCountedButNotKept()
    {
        var recorder = new TraceRecorder(maxSpans: 2);
        for (int i = 0; i < 5; i++) recorder.End("a", "dev", recorder.Now(), 10, 1);
        recorder.End("b", "dev", recorder.Now(), 7, 3);
        Assert.Equal(2, recorder.Spans.Count);
        var a = recorder.Aggregates.Single(s => s.Name == "a");
        Assert.Equal((5L, 3L, 50L, 5L), (a.Calls, a.Dropped, a.BytesRead, a.BytesWritten));
        var b = recorder.Aggregates.Single(s => s.Name == "b");
        Assert.Equal((1L, 1L, 7L, 3L), (b.Calls, b.Dropped, b.BytesRead, b.BytesWritten));
    }

    [Fact]
    public void TracedOpsStillFindRegisteredOperationsAndUntracedOpsAreTheBackendsOwn()
    {
        using var backend = new CpuBackend();
        using var plain = NnOps.For(backend);
        Assert.IsType<CpuNnOps>(plain);
        using var traced = new TracingComputeBackend(new CpuBackend(), new TraceRecorder());
        using var ops = NnOps.For(traced);
        var tracing = Assert.IsType<TracingNnOps>(ops);
        Assert.IsType<CpuNnOps>(tracing.Inner);
        Assert.IsType<CpuHashLayer>(NnOpRegistry.Create<IHashLayerOp>(ops));
    }

    [Fact]
    public void ATraceInAMissingFolderIsAOneLineUsageError()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "missing", "t.json");
        var run = CliRunner.Run("eval", "--model", dir.File("m.safetensors"), "--trace", path);
        Assert.Equal(2, run.Code);
        Assert.Contains("--trace", Assert.Single(run.Err.Trim().Split('\n')));
        Assert.False(File.Exists(path));
    }
}
