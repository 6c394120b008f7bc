using Lshk.Kernels.Cpu;
using Lshk.Kernels.Gpu;

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

    /// <summary>Every device lshk can use here: the CPU backend first, then CUDA devices, then the ILGPU CPU simulator.</summary>
    public static IReadOnlyList<DeviceInfo> List() => [CpuBackend.Describe(), .. IlgpuBackend.ListDevices()];

    /// <summary>
    /// Opens the requested backend. <c>cuda</c> without a usable CUDA device throws a one-line
    /// <see cref="InvalidOperationException"/>; <c>auto</c> then falls back to the CPU backend.
    /// </summary>
    public static IComputeBackend Open(DeviceRequest request)
    {
        switch (request)
        {
            case DeviceRequest.Cpu:
                return new CpuBackend();
            case DeviceRequest.IlgpuCpu:
                return IlgpuBackend.CreateCpuSimulator();
            case DeviceRequest.Cuda:
                return IlgpuBackend.TryCreateCuda(out var cuda, out string? why)
                    ? cuda
                    : throw new InvalidOperationException($"the CUDA backend is unavailable: {why}");
            case DeviceRequest.Auto:
                return IlgpuBackend.TryCreateCuda(out var gpu, out _) ? gpu : new CpuBackend();
            default:
                throw new ArgumentOutOfRangeException(nameof(request), request, $"unknown device request {request}");
        }
    }
}
