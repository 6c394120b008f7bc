using Lshk.Cli;
using Lshk.Core;
using Lshk.Data.Npy;
using Lshk.Kernels;
using Lshk.Kernels.Gpu;

namespace Lshk.Tests.Cli;

/// <summary>Each class of failure ends with its own exit code and exactly one line on stderr, never a stack trace.</summary>
public class ErrorPolicyTests
{
    /// <summary>The one line on stderr, checked to be a single line with the given prefix and no stack trace.</summary>
    private static string OneLine(string err, string prefix)
    {
        string[] lines = err.TrimEnd('\n', '\r').Split('\n');
        Assert.Single(lines);
        Assert.StartsWith(prefix, lines[0]);
        Assert.DoesNotContain("   at ", lines[0]);
        return lines[0];
    }

    private static string SmallEmbeddings(TempFolder dir)
    {
        string path = dir.File("x.npy");
        NpyFile.WriteFloat32(path, [1, 2, 3, 4, 5, 6], 3, 2);
        return path;
    }

    [Fact]
    public void TruncatedNpyIsBadInput()
    {
        using var dir = new TempFolder();
        byte[] whole = File.ReadAllBytes(SmallEmbeddings(dir));
        File.WriteAllBytes(dir.File("cut.npy"), whole[..^5]);
        var (code, output, err) = CliRunner.Run("hash", "--embeddings", dir.File("cut.npy"), "--planes", "8", "--out", dir.File("c.npy"), "--device", "cpu");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal("", output);
        Assert.Contains("cut.npy", OneLine(err, "lshk: error: "));
        Assert.False(File.Exists(dir.File("c.npy")));
    }

    [Fact]
    public void UnknownOptionIsBadUsage()
    {
        using var dir = new TempFolder();
        var (code, output, err) = CliRunner.Run("hash", "--embeddings", SmallEmbeddings(dir), "--out", dir.File("c.npy"), "--bogus", "3");
        Assert.Equal(ExitCodes.BadUsage, code);
        Assert.Equal("", output); // no help text either
        string line = OneLine(err, "lshk: error: ");
        Assert.Contains("--bogus", line);
        Assert.EndsWith("(see: lshk hash --help)", line);
    }

    [Fact]
    public void MissingRequiredOptionIsBadUsage()
    {
        using var dir = new TempFolder();
        var (code, _, err) = CliRunner.Run("hash", "--embeddings", SmallEmbeddings(dir));
        Assert.Equal(ExitCodes.BadUsage, code);
        Assert.Contains("--out", OneLine(err, "lshk: error: "));
    }

    [Fact]
    public void BadlyTypedValueAndUnknownDeviceAreBadUsage()
    {
        using var dir = new TempFolder();
        string x = SmallEmbeddings(dir);
        var (code, _, err) = CliRunner.Run("hash", "--embeddings", x, "--out", dir.File("c.npy"), "--planes", "many");
        Assert.Equal(ExitCodes.BadUsage, code);
        Assert.Contains("many", OneLine(err, "lshk: error: "));
        (code, _, err) = CliRunner.Run("hash", "--embeddings", x, "--out", dir.File("c.npy"), "--device", "tpu");
        Assert.Equal(ExitCodes.BadUsage, code);
        Assert.Contains("unknown device 'tpu' (expected auto, cpu, cuda or ilgpu-cpu)", OneLine(err, "lshk: error: "));
    }

    [Fact]
    public void CudaWithoutAGpuIsADeviceFailure()
    {
        using var dir = new TempFolder();
        bool hasGpu = IlgpuBackend.TryCreateCuda(out var gpu, out _);
        gpu?.Dispose();
        var (code, _, err) = CliRunner.Run("hash", "--embeddings", SmallEmbeddings(dir), "--planes", "8", "--out", dir.File("c.npy"), "--device", "cuda");
        if (hasGpu)
        {
            // A machine with a GPU runs the command; the failure path is then covered by the exceptions below.
            Assert.Equal(ExitCodes.Success, code);
            return;
        }
        Assert.Equal(ExitCodes.DeviceFailure, code);
        Assert.Contains("the CUDA backend is unavailable: no CUDA device was found", OneLine(err, "lshk: device error: "));
        Assert.False(File.Exists(dir.File("c.npy")));
    }

    [Fact]
    public void IlgpuExceptionsAreDeviceFailures()
    {
        using var dir = new TempFolder();
        var error = new StringWriter();
        var launch = Thrown(() => throw new InvalidOperationException("launch failed", new ILGPU.InternalCompilerException("no PTX for sm_20")));
        Assert.Equal(ExitCodes.DeviceFailure, ErrorPolicy.Report(launch, error, [], dir.Path));
        Assert.Equal("lshk: device error: InternalCompilerException: no PTX for sm_20", OneLine(error.ToString(), "lshk: device error: "));

        Exception fromIlgpu;
        try { fromIlgpu = new ILGPU.Runtime.Cuda.CudaException(ILGPU.Runtime.Cuda.CudaError.CUDA_ERROR_LAUNCH_FAILED); } // with a CUDA driver
        catch (NotSupportedException e) { fromIlgpu = e; } // without one, ILGPU itself throws while asking for the message
        Assert.Equal(ExitCodes.DeviceFailure, ErrorPolicy.Report(fromIlgpu, new StringWriter(), [], dir.Path));
        Assert.Empty(Directory.GetFiles(dir.Path)); // no details file: neither is an internal error

        error = new StringWriter();
        Assert.Equal(ExitCodes.DeviceFailure, ErrorPolicy.Report(new AggregateException(new DeviceException("kernel X failed")), error));
        Assert.Equal("lshk: device error: kernel X failed", OneLine(error.ToString(), "lshk: device error: "));
    }

    [Fact]
    public void InputAndUsageExceptionsKeepTheirCodesInsideAParallelLoop()
    {
        var error = new StringWriter();
        Assert.Equal(ExitCodes.BadInput, ErrorPolicy.Report(FromParallelLoop(() => throw new InputException("a.png", "not an image")), error));
        Assert.Equal("lshk: error: a.png: not an image", OneLine(error.ToString(), "lshk: error: "));
        Assert.Equal(ExitCodes.BadUsage, ErrorPolicy.Report(new UsageException("--k must be at least 1 (got 0)"), new StringWriter()));
    }

    [Fact]
    public void AnUnexpectedExceptionIsAnInternalErrorWithADetailsFile()
    {
        using var dir = new TempFolder();
        var error = new StringWriter();
        var bug = Thrown(() => _ = new Dictionary<string, int>()["missing"]);
        Assert.Equal(ExitCodes.InternalError, ErrorPolicy.Report(bug, error, ["hash", "--planes", "8"], dir.Path));
        string details = AssertInternalError(error.ToString(), "KeyNotFoundException");
        Assert.Contains("lshk hash --planes 8", details);
        Assert.Contains("The given key 'missing' was not present", details);
    }

    [Fact]
    public void AParallelLoopsSingleFailureIsClassifiedByItself()
    {
        using var dir = new TempFolder();
        var error = new StringWriter();
        var aggregate = FromParallelLoop(() => throw new IndexOutOfRangeException("index 9 outside 0-3"));
        Assert.Equal(ExitCodes.InternalError, ErrorPolicy.Report(aggregate, error, [], dir.Path));
        string line = OneLine(error.ToString(), "lshk: internal error: ");
        Assert.StartsWith("lshk: internal error: IndexOutOfRangeException: index 9 outside 0-3, details in ", line);
        string details = AssertInternalError(error.ToString(), "IndexOutOfRangeException");
        Assert.Contains(nameof(AggregateException), details); // the whole exception, as thrown, is in the file
    }

    /// <summary>Checks the one line of an internal error and returns the details file it names.</summary>
    private static string AssertInternalError(string err, string type)
    {
        string line = OneLine(err, $"lshk: internal error: {type}: ");
        const string marker = ", details in ";
        string path = line[(line.LastIndexOf(marker, StringComparison.Ordinal) + marker.Length)..];
        Assert.StartsWith(ErrorPolicy.DetailsFilePrefix, Path.GetFileName(path));
        Assert.True(File.Exists(path), path);
        string details = File.ReadAllText(path);
        Assert.Contains(type, details);
        Assert.Contains("   at ", details); // the stack trace
        Assert.Contains(nameof(ErrorPolicyTests), details);
        return details;
    }

    /// <summary>An exception as thrown, so that it carries a stack trace.</summary>
    private static Exception Thrown(Action fail)
    {
        try { fail(); }
        catch (Exception e) { return e; }
        throw new InvalidOperationException("expected the delegate to throw");
    }

    /// <summary>The AggregateException a parallel loop throws when one of its iterations fails.</summary>
    private static AggregateException FromParallelLoop(Action fail)
    {
        var e = Thrown(() => Parallel.For(0, 4, i => { if (i == 2) fail(); }));
        return Assert.IsType<AggregateException>(e);
    }
}
