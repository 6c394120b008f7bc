using Lshk.Kernels.Gpu;
using Lshk.Kernels.Nn.Gpu;

namespace Lshk.Tests.Gpu;

/// <summary>
/// Host ↔ device copies while another thread keeps forcing compacting collections. ILGPU's copy overloads that take a
/// <c>ref T</c> turn it into a raw pointer without pinning; a collection that moves the array mid-copy then reads or
/// writes its old address, and the kernels' results come back as zeros (or the process crashes). Every copy lshk
/// makes must pin its host memory; these round trips fail within a few hundred rounds when one does not.
/// </summary>
[Trait(TestGpu.Trait, TestGpu.Kernels)]
[Collection(SimulatorCollection.Name)]
public sealed class IlgpuHostCopyTests(SimulatorFixture fixture)
{
    // 16K floats = 64 KB: below the large-object threshold, so the arrays live in the compacted small-object heap,
    // and long enough that a collection often lands inside the copy.
    private const int Length = 16_000;
    private const int Rounds = 1_500;

    [Fact]
    public void NnBufferRoundTripsSurviveCompactingCollections()
    {
        using var ops = new IlgpuNnOps(fixture.Gpu);
        using var buffer = ops.Allocate(Length);
        using var pressure = new CollectionPressure();
        for (int round = 0; round < Rounds; round++)
        {
            var source = Ramp(Length, round);
            buffer.CopyFrom(source);
            var back = new float[Length];
            buffer.CopyTo(back);
            AssertSame(source, back, round);
        }
    }

    [Fact]
    public void BackendUploadsAndDownloadsSurviveCompactingCollections()
    {
        // The path of every kernel's inputs and results (supports, queries, planes, top-k entries).
        using var pressure = new CollectionPressure();
        for (int round = 0; round < Rounds; round++)
        {
            var source = Ramp(Length, round);
            using var buffer = fixture.Gpu.Upload<float>(source);
            var back = new float[Length];
            IlgpuBackend.Download(buffer, back);
            AssertSame(source, back, round);
        }
    }

    private static float[] Ramp(int length, int round)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = 1 + i + round * 0.5f;
        return values;
    }

    private static void AssertSame(float[] expected, float[] actual, int round)
    {
        int at = expected.AsSpan().CommonPrefixLength(actual);
        if (at < expected.Length)
            Assert.Fail($"round {round}: value {at} came back as {actual[at]}, expected {expected[at]}");
    }

    /// <summary>A thread that allocates and forces a compacting gen-0 collection every couple of hundred allocations.</summary>
    private sealed class CollectionPressure : IDisposable
    {
        private const int AllocationsPerCollection = 200;
        private volatile bool _stop;
        private readonly Thread _thread;

        public CollectionPressure()
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "collection pressure" };
            _thread.Start();
        }

        private void Run()
        {
            var live = new List<byte[]>();
            for (int i = 0; !_stop; i++)
            {
                live.Add(new byte[1_000 + i % 5_000]);
                if (live.Count > 200) live.RemoveRange(0, 100);
                if (i % AllocationsPerCollection == 0) GC.Collect(0, GCCollectionMode.Forced, blocking: true, compacting: true);
            }
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }
}
