using Lshk.Kernels.Cpu;
using Lshk.Kernels.Gpu;

namespace Lshk.Kernels;

/// <summary>Finds devices and opens the backend a <c>--device</c> option asks for.</summary>
public static class Devices
{
    /// <summary>The words <see cref="Parse"/> accepts, for messages.</summary>
    public const string Expected = "auto, cpu, cuda or ilgpu-cpu";

    /// <summary>
    /// A device name → the request. An unknown name is the caller's mistake (an <see cref="ArgumentException"/>):
    /// callers holding user text check it with <see cref="TryParse"/> first.
    /// </summary>
    public static DeviceRequest Parse(string text) =>
        TryParse(text, out var request) ? request : throw new ArgumentException($"unknown device '{text}' (expected {Expected})");

    public static bool TryParse(string? text, out DeviceRequest request)
    {
        DeviceRequest? known = text?.Trim().ToLowerInvariant() switch
        {
            "auto" => DeviceRequest.Auto,
            "cpu" => DeviceRequest.Cpu,
            "cuda" or "gpu" => DeviceRequest.Cuda,
            "ilgpu-cpu" => DeviceRequest.IlgpuCpu,
            _ => null,
        };
        request = known ?? DeviceRequest.Auto;
        return known is not null;
    }

    /// <summary>Every device lshk can use here: the CPU backend first, then CUDA devices, then the ILGPU CPU simulator.</summary>
    public static IReadOnlyList<DeviceInfo> List() => [CpuBackend.Describe(), .. IlgpuBackend.ListDevices()];

    /// <summary>
    /// Opens the requested backend. <c>cuda</c> without a usable CUDA device throws a one-line
    /// <see cref="DeviceException"/>; <c>auto</c> then falls back to the CPU backend. A failure of ILGPU while opening
    /// a device is a <see cref="DeviceException"/> too.
    /// </summary>
    public static IComputeBackend Open(DeviceRequest request)
    {
        try
        {
            return OpenBackend(request);
        }
        catch (Exception e) when (DeviceException.IsFromDeviceRuntime(e))
        {
            throw new DeviceException($"cannot open the {request} device: {e.GetType().Name}: {e.Message}", e);
        }
    }

    private static IComputeBackend OpenBackend(DeviceRequest request)
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
                    : throw new DeviceException($"the CUDA backend is unavailable: {why}");
            case DeviceRequest.Auto:
                return IlgpuBackend.TryCreateCuda(out var gpu, out _) ? gpu : new CpuBackend();
            default:
                throw new ArgumentOutOfRangeException(nameof(request), request, $"unknown device request {request}");
        }
    }
}
