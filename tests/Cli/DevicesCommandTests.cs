using Lshk.Tests.Gpu;

namespace Lshk.Tests.Cli;

/// <summary>
/// <c>lshk devices --check</c>: every device (the simulator always, CUDA where there is one) hashes and searches as the
/// CPU backend does, including a single-query scan long enough for a GPU to split it into ranges and merge them.
/// </summary>
[Trait(TestGpu.Trait, TestGpu.Kernels)]
[Trait(TestGpu.SimulatorTrait, TestGpu.OnPurpose)]
public class DevicesCommandTests
{
    [Fact]
    public void EveryDevicePassesTheSelfCheck()
    {
        var (code, output, error) = CliRunner.Run("devices", "--check");
        Assert.True(code == 0, output + error);
        const string Checked = "ok (codes, Hamming top-5 (also one query over 100,000 codes), asymmetric top-5 and cosine top-1 match the CPU backend";
        Assert.Contains("cpu: " + Checked, output);
        Assert.Contains("ilgpu-cpu: " + Checked, output);
        if (TestGpu.OnCuda) Assert.Contains("cuda: " + Checked, output);
    }
}
