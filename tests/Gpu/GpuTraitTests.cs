using Lshk.Tests.Architecture;

namespace Lshk.Tests.Gpu;

/// <summary>
/// The GPU script runs the tests that carry the GPU trait, on CUDA; these checks keep that set complete: every test
/// source that reaches a GPU backend carries the trait, and only <see cref="TestGpu"/> opens ILGPU's CPU simulator
/// directly (everything else goes through it, so LSHK_TEST_GPU=cuda moves the whole set onto the GPU).
/// </summary>
public class GpuTraitTests
{
    private const string TraitAttribute = "[Trait(TestGpu.Trait, TestGpu.Kernels)]";

    /// <summary>What in a test source means it runs GPU kernels.</summary>
    private static readonly string[] GpuMarkers =
        ["SimulatorCollection.Name", "TestGpu.Open()", "TestGpu.Device", "DeviceRequest.IlgpuCpu", "\"ilgpu-cpu\""];

    private static IEnumerable<(string Name, string Text)> TestSources()
    {
        string tests = Path.Combine(LayeringTests.RepositoryRoot(), "tests");
        foreach (string file in Directory.EnumerateFiles(tests, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(tests, file).Replace('\\', '/');
            if (relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal)) continue;
            yield return (relative, File.ReadAllText(file));
        }
    }

    [Fact]
    public void EverySourceThatReachesAGpuBackendCarriesTheTrait()
    {
        var gpuSources = TestSources()
            .Where(s => s.Name is not ("Gpu/TestGpu.cs" or "Gpu/SimulatorFixture.cs" or "Gpu/GpuTraitTests.cs"))
            .Where(s => GpuMarkers.Any(s.Text.Contains))
            .ToList();
        Assert.True(gpuSources.Count >= 20, $"only {gpuSources.Count} GPU test sources found: is the marker list stale?");
        Assert.Empty(gpuSources.Where(s => !s.Text.Contains(TraitAttribute)).Select(s => s.Name));
    }

    [Fact]
    public void OnlyTestGpuOpensTheSimulatorDirectly()
    {
        var direct = TestSources()
            .Where(s => s.Name is not ("Gpu/TestGpu.cs" or "Gpu/GpuTraitTests.cs"))
            .Where(s => s.Text.Contains("IlgpuBackend.CreateCpuSimulator"))
            .Select(s => s.Name);
        Assert.Empty(direct);
    }

    [Fact]
    public void TheMarkersWouldCatchAnUntaggedSource()
    {
        // The check above is only as good as its markers: a source using the fixture without the trait is caught.
        const string untagged = "[Collection(SimulatorCollection.Name)]\npublic class T(SimulatorFixture fx) { }";
        Assert.Contains(GpuMarkers, untagged.Contains);
        Assert.DoesNotContain(TraitAttribute, untagged);
    }
}
