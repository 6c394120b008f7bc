using BenchmarkDotNet.Attributes;
using Lshk.Kernels.Nn;
using Lshk.Kernels.Nn.Cpu;
using Lshk.Kernels.Random;

namespace Lshk.Bench;

/// <summary>
/// The episode losses on the CPU operations at a training episode's shape: 60-way 5-shot 5-query (600 rows) of
/// Conv-4's 64-d embedding, or of a 64-bit hash layer's relaxed codes (the cosine-mean code loss runs beside the
/// prototypical loss in every episode of Omniglot's default training).
/// Run: dotnet run -c Release --project bench -- --filter '*EpisodeLoss*'
/// </summary>
[MemoryDiagnoser]
public class NnEpisodeLossBenchmark
{
    private static readonly EpisodeShape Episode = new(Ways: 60, Shots: 5, Queries: 5, Dim: 64);
    private CpuNnOps _ops = null!;
    private NnBuffer _embeddings = null!, _gradient = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ops = new CpuNnOps();
        _embeddings = _ops.Allocate(Episode.Batch * Episode.Dim);
        _embeddings.CopyFrom(RandomArrays.Gaussian(Episode.Batch * Episode.Dim, 7, 1));
        _gradient = _ops.Allocate(Episode.Batch * Episode.Dim);
    }

    [Benchmark] public float Prototypical() => _ops.PrototypicalLoss(_embeddings, Episode, _gradient).Loss;
    [Benchmark] public float Matching() => _ops.MatchingLoss(_embeddings, Episode, CosineLoss.DefaultScale, _gradient).Loss;
    [Benchmark] public float CosineMean() => _ops.CosineMeanLoss(_embeddings, Episode, CosineLoss.DefaultScale, _gradient).Loss;

    [GlobalCleanup]
    public void Cleanup() => _ops.Dispose();
}
