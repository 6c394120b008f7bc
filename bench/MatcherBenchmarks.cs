using BenchmarkDotNet.Attributes;
using Lshk.Kernels;
using Lshk.Kernels.Random;

namespace Lshk.Bench;

/// <summary>
/// Kernel microbenchmarks of the matching step on both backends. "ilgpu-cpu" is ILGPU's CPU accelerator
/// running the GPU kernels (a correctness simulator, 2–15× slower than the managed CPU path, not for users);
/// it is benchmarked at the small sizes only.
/// </summary>
[MemoryDiagnoser]
public class HammingTopKBenchmark
{
    [Params("cpu", "ilgpu-cpu")] public string Device { get; set; } = "cpu";
    [Params(10_000, 100_000, 1_000_000)] public int N { get; set; }
    [Params(64, 256)] public int Planes { get; set; }
    [Params(1, 5)] public int K { get; set; }
    public const int Queries = 1000;

    private IComputeBackend _backend = null!;
    private IHammingIndex _index = null!;
    private uint[] _queries = null!;

    [GlobalSetup]
    public void Setup()
    {
        _backend = Devices.Open(Devices.Parse(Device));
        int n = Device == "ilgpu-cpu" ? Math.Min(N, 10_000) : N;   // the simulator is too slow for the big sizes
        _index = _backend.CreateHammingIndex(RandomArrays.Codes(n, Planes, 1, 1), n, Planes);
        _queries = RandomArrays.Codes(Queries, Planes, 1, 2);
    }

    [Benchmark]
    public TopK<int> Search() => _index.Search(_queries, Queries, K);

    [GlobalCleanup]
    public void Cleanup()
    {
        _index.Dispose();
        _backend.Dispose();
    }
}

[MemoryDiagnoser]
public class CosineTopKBenchmark
{
    [Params("cpu", "ilgpu-cpu")] public string Device { get; set; } = "cpu";
    [Params(10_000, 100_000)] public int N { get; set; }
    [Params(64, 576)] public int Dim { get; set; }
    [Params(1, 5)] public int K { get; set; }
    public const int Queries = 1000;

    private IComputeBackend _backend = null!;
    private ICosineIndex _index = null!;
    private float[] _queries = null!;

    [GlobalSetup]
    public void Setup()
    {
        _backend = Devices.Open(Devices.Parse(Device));
        int n = Device == "ilgpu-cpu" ? Math.Min(N, 10_000) : N;
        _index = _backend.CreateCosineIndex(RandomArrays.Gaussian((long)n * Dim, 1, 1), n, Dim);
        _queries = RandomArrays.Gaussian((long)Queries * Dim, 1, 2);
    }

    [Benchmark]
    public TopK<float> Search() => _index.Search(_queries, Queries, K);

    [GlobalCleanup]
    public void Cleanup()
    {
        _index.Dispose();
        _backend.Dispose();
    }
}

[MemoryDiagnoser]
public class ProjectPackBenchmark
{
    [Params("cpu", "ilgpu-cpu")] public string Device { get; set; } = "cpu";
    [Params(10_000, 100_000)] public int N { get; set; }
    [Params(64, 256)] public int Planes { get; set; }
    public const int Dim = 64;

    private IComputeBackend _backend = null!;
    private float[] _x = null!, _planes = null!;
    private uint[] _codes = null!;

    [GlobalSetup]
    public void Setup()
    {
        _backend = Devices.Open(Devices.Parse(Device));
        _x = RandomArrays.Gaussian((long)N * Dim, 1, 1);
        _planes = RandomArrays.Gaussian((long)Planes * Dim, 1, 2);
        _codes = new uint[(long)N * Check.Words(Planes)];
    }

    [Benchmark]
    public void ProjectPack() => _backend.ProjectPack(_x, N, Dim, _planes, default, Planes, _codes);

    [GlobalCleanup]
    public void Cleanup() => _backend.Dispose();
}
