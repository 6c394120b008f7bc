using BenchmarkDotNet.Attributes;
using Lshk.Kernels;
using Lshk.Kernels.Random;

namespace Lshk.Bench;

// Kernel microbenchmarks of the LSH path on both backends:
//   dotnet run -c Release --project bench -- --filter '*Hamming*'
// Classes named "...OnIlgpuCpu" run the GPU kernels on ILGPU's CPU accelerator: a correctness simulator,
// far slower than the managed CPU backend and not for users; they use small sizes only.

/// <summary>Hamming top-k of 1000 queries against N codes.</summary>
[MemoryDiagnoser]
public class HammingTopK
{
    [Params(10_000, 100_000, 1_000_000)] public int N { get; set; }
    [Params(64, 256)] public int Planes { get; set; }
    [Params(1, 5)] public int K { get; set; }
    protected virtual string Device => "cpu";
    public const int Queries = 1000;

    private IComputeBackend _backend = null!;
    private IHammingIndex _index = null!;
    private uint[] _queries = null!;

    [GlobalSetup]
    public void Setup()
    {
        _backend = Devices.Open(Devices.Parse(Device));
        _index = _backend.CreateHammingIndex(RandomArrays.Codes(N, Planes, 1, 1), N, Planes);
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

/// <summary>The Hamming kernel on ILGPU's CPU accelerator (simulated warps).</summary>
public class HammingTopKOnIlgpuCpu : HammingTopK
{
    [Params(1_000, 10_000)] public new int N { get => base.N; set => base.N = value; }
    protected override string Device => "ilgpu-cpu";
}

/// <summary>Dense cosine top-k of 1000 queries against N embeddings (the baseline Hamming replaces).</summary>
[MemoryDiagnoser]
public class CosineTopK
{
    [Params(10_000, 100_000)] public int N { get; set; }
    [Params(64, 576)] public int Dim { get; set; }
    [Params(1, 5)] public int K { get; set; }
    protected virtual string Device => "cpu";
    public const int Queries = 1000;

    private IComputeBackend _backend = null!;
    private ICosineIndex _index = null!;
    private float[] _queries = null!;

    [GlobalSetup]
    public void Setup()
    {
        _backend = Devices.Open(Devices.Parse(Device));
        _index = _backend.CreateCosineIndex(RandomArrays.Gaussian((long)N * Dim, 1, 1), N, Dim);
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

/// <summary>The cosine kernel on ILGPU's CPU accelerator.</summary>
public class CosineTopKOnIlgpuCpu : CosineTopK
{
    [Params(1_000, 10_000)] public new int N { get => base.N; set => base.N = value; }
    protected override string Device => "ilgpu-cpu";
}

/// <summary>Fused projection + sign + bit packing of N embeddings of dimension 64.</summary>
[MemoryDiagnoser]
public class ProjectPack
{
    [Params(10_000, 100_000)] public int N { get; set; }
    [Params(64, 256)] public int Planes { get; set; }
    protected virtual string Device => "cpu";
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
    public void Run() => _backend.ProjectPack(_x, N, Dim, _planes, default, Planes, _codes);

    [GlobalCleanup]
    public void Cleanup() => _backend.Dispose();
}

/// <summary>Projection + packing on ILGPU's CPU accelerator.</summary>
public class ProjectPackOnIlgpuCpu : ProjectPack
{
    [Params(1_000, 10_000)] public new int N { get => base.N; set => base.N = value; }
    protected override string Device => "ilgpu-cpu";
}
