using Lshk.Kernels.Cpu;

namespace Lshk.Kernels;

/// <summary>Finds devices and opens the backend a <c>--device</c> option asks for.</summary>
public static class Devices
{
    public static DeviceRequest Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => DeviceRequest.Auto,
        "cpu" => DeviceRequest.Cpu,
        "cuda" or "gpu" => DeviceRequest.Cuda,
        "ilgpu-cpu" => DeviceRequest.IlgpuCpu,
        _ => throw new ArgumentException($"unknown device '{text}' (expected auto, cpu, cuda or ilgpu-cpu)"),
    };

    /// <summary>Every device lshk can use here, the CPU backend first.</summary>
    public static IReadOnlyList<DeviceInfo> List() => [CpuBackend.Describe()];

    public static IComputeBackend Open(DeviceRequest request) => request switch
    {
        DeviceRequest.Auto or DeviceRequest.Cpu => new CpuBackend(),
        _ => throw new InvalidOperationException($"device {request} is not available in this build"),
    };
}
