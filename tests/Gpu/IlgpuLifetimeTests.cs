using Lshk.Kernels.Gpu;

namespace Lshk.Tests.Gpu;

/// <summary>A backend of its own, disposed while an index is alive (in the simulator collection so it runs alone).</summary>
[Trait(TestGpu.Trait, TestGpu.Kernels)]
[Collection(SimulatorCollection.Name)]
public class IlgpuLifetimeTests
{
    [Fact]
    public void DisposedBackendRefusesWorkAndLetsIndicesBeDisposed()
    {
        var backend = TestGpu.Open();
        TestGpu.AssertTargeted(backend);
        var hamming = backend.CreateHammingIndex([1u, 2u, 3u], 3, 8);
        var cosine = backend.CreateCosineIndex([1f, 0f, 0f, 1f], 2, 2);
        Assert.Equal([1, 2], hamming.Search([2u], 1, 2).Indices); // support 1 (code 2) is exact, support 2 (code 3) 1 bit away
        backend.Dispose();
        backend.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => hamming.Search([2u], 1, 2));
        Assert.Throws<ObjectDisposedException>(() => cosine.Search([1f, 0f], 1, 1));
        Assert.Throws<ObjectDisposedException>(() => backend.ProjectPack([1f], 1, 1, [1f], default, 1, new uint[1]));
        hamming.Dispose();
        cosine.Dispose();
    }
}
