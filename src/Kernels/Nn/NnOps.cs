using Lshk.Kernels.Nn.Cpu;

namespace Lshk.Kernels.Nn;

/// <summary>Finds the neural-net operations of a compute backend.</summary>
public static class NnOps
{
    /// <summary>
    /// The NN operations that run where <paramref name="backend"/> computes; <paramref name="cpuThreads"/> sets the CPU
    /// operations' worker threads (0: one per logical processor).
    /// </summary>
    public static INnOps For(IComputeBackend backend, int cpuThreads = 0) => backend switch
    {
        // A traced backend gets traced ops on its inner backend; on a GPU each traced call waits for its kernels.
        Tracing.TracingComputeBackend traced => new Tracing.TracingNnOps(For(traced.Inner, cpuThreads), traced.Recorder,
            traced.Inner is global::Lshk.Kernels.Gpu.IlgpuBackend gpu ? gpu.Synchronize : null),
        global::Lshk.Kernels.Cpu.CpuBackend => new CpuNnOps(cpuThreads),
        global::Lshk.Kernels.Gpu.IlgpuBackend ilgpu => new Gpu.IlgpuNnOps(ilgpu),
        _ => throw new ArgumentException($"no neural-net operations for the {backend.Device.Backend} backend"),
    };
}
