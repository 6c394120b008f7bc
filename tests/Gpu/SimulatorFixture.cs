using Lshk.Kernels.Cpu;
using Lshk.Kernels.Gpu;

namespace Lshk.Tests.Gpu;

/// <summary>
/// One ILGPU CPU simulator (NVIDIA-like, warps of 32) and one CPU backend shared by every test class of the
/// "ilgpu-simulator" collection. Sharing also keeps those classes from running at the same time: each simulator
/// runs 64 OS threads that meet at warp barriers, and several of them on a 2-core machine slow each other down.
/// With LSHK_TEST_GPU=cuda (scripts/gpu-check.sh on a GPU machine) the same tests run the kernels on the CUDA
/// device instead; a missing device is then a failure, not a fallback.
/// </summary>
public sealed class SimulatorFixture : IDisposable
{
    public SimulatorFixture()
    {
        Gpu = TestGpu.Open();
        TestGpu.AssertTargeted(Gpu);
        Cpu = new CpuBackend();
    }

    public IlgpuBackend Gpu { get; }
    public CpuBackend Cpu { get; }

    /// <summary>
    /// Until disposed, the GPU backend cuts searches into support ranges of at least <paramref name="minPerSplit"/>
    /// supports, aiming at 64 warp tasks (a small GPU's worth, on any device), so small inputs exercise the merges.
    /// </summary>
    public IDisposable SplitSearches(int minPerSplit)
    {
        var restore = (Gpu.MinSupportsPerSplit, Gpu.SplitTargetWarps);
        Gpu.MinSupportsPerSplit = minPerSplit;
        Gpu.SplitTargetWarps = 64;
        return new Restore(() => (Gpu.MinSupportsPerSplit, Gpu.SplitTargetWarps) = restore);
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    public void Dispose()
    {
        Gpu.Dispose();
        Cpu.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class SimulatorCollection : ICollectionFixture<SimulatorFixture>
{
    public const string Name = "ilgpu-simulator";
}
