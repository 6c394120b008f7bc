namespace Lshk.Kernels;

/// <summary>What kind of device a command asked for with <c>--device</c>.</summary>
public enum DeviceRequest
{
    /// <summary>A CUDA device when one is present, else the CPU backend.</summary>
    Auto,
    /// <summary>The managed SIMD CPU backend.</summary>
    Cpu,
    /// <summary>ILGPU kernels on an NVIDIA GPU.</summary>
    Cuda,
    /// <summary>ILGPU kernels on ILGPU's CPU accelerator (simulated warps of 32; for testing, slow).</summary>
    IlgpuCpu,
}

/// <summary>A device lshk can compute on, as <c>lshk devices</c> lists it.</summary>
public sealed record DeviceInfo(
    string Name,
    string Backend,
    long MemoryBytes,
    string? ComputeCapability,
    int WarpSize,
    int Processors);
