using Lshk.Kernels;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Gpu;

namespace Lshk.Tests.Gpu;

/// <summary>Device discovery; the simulator appears here on purpose (it is listed and opened by name on every machine).</summary>
[Trait(TestGpu.Trait, TestGpu.Kernels)]
[Trait(TestGpu.SimulatorTrait, TestGpu.OnPurpose)]
public class DevicesTests
{
    [Fact]
    public void ListStartsWithTheCpuAndIncludesTheSimulator()
    {
        var devices = Devices.List();
        Assert.Equal("cpu", devices[0].Backend);
        var simulator = Assert.Single(devices, d => d.Backend == "ilgpu-cpu");
        Assert.Equal(32, simulator.WarpSize);
        Assert.All(devices.Where(d => d.Backend == "cuda"), d => Assert.Matches(@"^\d+\.\d+$", d.ComputeCapability!));
    }

    [Fact]
    public void OpenReturnsTheRequestedBackend()
    {
        using (var cpu = Devices.Open(DeviceRequest.Cpu)) Assert.IsType<CpuBackend>(cpu);
        using (var sim = Devices.Open(DeviceRequest.IlgpuCpu))
        {
            Assert.IsType<IlgpuBackend>(sim);
            Assert.Equal("ilgpu-cpu", sim.Device.Backend);
            Assert.Equal(32, sim.Device.WarpSize);
        }
    }

    [Fact]
    public void CudaIsUsedWhenPresentAndRefusedClearlyWhenNot()
    {
        bool hasCuda = IlgpuBackend.ListDevices().Any(d => d.Backend == "cuda");
        Assert.True(hasCuda || !TestGpu.OnCuda, "LSHK_TEST_GPU=cuda, but no CUDA device is listed");
        bool opened = IlgpuBackend.TryCreateCuda(out var backend, out string? why);
        Assert.Equal(hasCuda, opened);
        backend?.Dispose();
        using var auto = Devices.Open(DeviceRequest.Auto);
        if (hasCuda)
        {
            Assert.Null(why);
            Assert.Equal("cuda", auto.Device.Backend);
            using var cuda = Devices.Open(DeviceRequest.Cuda);
            Assert.Equal("cuda", cuda.Device.Backend);
        }
        else
        {
            Assert.Null(backend);
            Assert.Contains("no CUDA device was found", why);
            Assert.IsType<CpuBackend>(auto);
            var error = Assert.Throws<DeviceException>(() => Devices.Open(DeviceRequest.Cuda));
            Assert.Contains("no CUDA device was found", error.Message);
            Assert.DoesNotContain('\n', error.Message);
        }
    }
}
