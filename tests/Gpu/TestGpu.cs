using System.Reflection;
using Lshk.Kernels.Gpu;
using Xunit.v3;

[assembly: Lshk.Tests.Gpu.SimulatorGuard]

namespace Lshk.Tests.Gpu;

/// <summary>
/// The device the GPU tests run their kernels on: ILGPU's CPU simulator by default (CI), the CUDA device with
/// LSHK_TEST_GPU=cuda (scripts/gpu-check.sh on a GPU machine), where a missing device is a failure, not a fallback.
/// Every test class that runs GPU kernels carries <c>[Trait(TestGpu.Trait, TestGpu.Kernels)]</c> (a test checks it),
/// so the GPU script runs exactly them with <c>-trait Device=gpu</c>.
/// </summary>
public static class TestGpu
{
    public const string Trait = "Device";
    public const string Kernels = "gpu";

    /// <summary>Set by the trait on tests that open ILGPU's CPU simulator on purpose (it is what they test).</summary>
    public const string SimulatorTrait = "Simulator";
    public const string OnPurpose = "on-purpose";

    public static bool OnCuda => Environment.GetEnvironmentVariable("LSHK_TEST_GPU") == "cuda";

    /// <summary>The <c>--device</c> word and the backend name of the device the tests target.</summary>
    public static string Device => OnCuda ? "cuda" : "ilgpu-cpu";

    /// <summary>A new backend on the device the tests target (the caller disposes it).</summary>
    public static IlgpuBackend Open()
    {
        if (!OnCuda) return IlgpuBackend.CreateCpuSimulator();
        return IlgpuBackend.TryCreateCuda(out var cuda, out string? why)
            ? cuda
            : throw new InvalidOperationException($"LSHK_TEST_GPU=cuda but no CUDA device: {why}");
    }

    /// <summary>Fails unless <paramref name="backend"/> is the device the tests target.</summary>
    public static void AssertTargeted(IlgpuBackend backend) => Assert.Equal(Device, backend.Device.Backend);
}

/// <summary>
/// Under LSHK_TEST_GPU=cuda, fails any test that opened ILGPU's CPU simulator without saying it means to, so a test
/// cannot pass on the simulator while the GPU run counts it as a CUDA test. Exact when tests run one at a time, as
/// scripts/gpu-check.sh runs them (-parallelMode none); with parallel tests another test's simulator could be blamed.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class SimulatorGuardAttribute : BeforeAfterTestAttribute
{
    private static int _openedBefore;

    public override void Before(MethodInfo methodUnderTest, IXunitTest test) =>
        _openedBefore = IlgpuBackend.SimulatorsOpened;

    public override void After(MethodInfo methodUnderTest, IXunitTest test)
    {
        if (!TestGpu.OnCuda) return;
        if (test.Traits.TryGetValue(TestGpu.SimulatorTrait, out var values) && values.Contains(TestGpu.OnPurpose)) return;
        int opened = IlgpuBackend.SimulatorsOpened - _openedBefore;
        if (opened > 0)
            throw new InvalidOperationException(
                $"{test.TestDisplayName} opened ILGPU's CPU simulator {opened} time(s) under LSHK_TEST_GPU=cuda: open the device through TestGpu.Open() or the simulator fixture");
    }
}
