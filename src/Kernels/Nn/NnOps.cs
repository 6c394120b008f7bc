using Lshk.Kernels.Nn.Cpu;

namespace Lshk.Kernels.Nn;

/// <summary>Finds the neural-net operations of a compute backend.</summary>
public static class NnOps
{
    /// <summary>The NN operations that run where <paramref name="backend"/> computes.</summary>
    public static INnOps For(IComputeBackend backend) => backend switch
    {
        global::Lshk.Kernels.Cpu.CpuBackend => new CpuNnOps(),
        _ => throw new ArgumentException($"no neural-net operations for the {backend.Device.Backend} backend"),
    };
}
