namespace Lshk.Kernels.Nn;

/// <summary>
/// The per-channel buffers of one batch-norm layer (each of length C), as PyTorch's <c>BatchNorm2d</c> keeps them:
/// weight γ and bias β, running mean and running variance (unbiased, updated with momentum), plus the batch mean
/// and 1/√(var+ε) saved by a training forward for the backward, and the gradients of γ and β (accumulated).
/// </summary>
public readonly record struct BatchNormBuffers(NnBuffer Weight, NnBuffer Bias, NnBuffer RunningMean, NnBuffer RunningVar,
    NnBuffer SavedMean, NnBuffer SavedInvStd, NnBuffer WeightGrad, NnBuffer BiasGrad)
{
    public void Validate(int channels)
    {
        Expect(Weight, channels, "weight");
        Expect(Bias, channels, "bias");
        Expect(RunningMean, channels, "running mean");
        Expect(RunningVar, channels, "running variance");
        Expect(SavedMean, channels, "saved mean");
        Expect(SavedInvStd, channels, "saved inverse std");
        Expect(WeightGrad, channels, "weight gradient");
        Expect(BiasGrad, channels, "bias gradient");
    }

    private static void Expect(NnBuffer buffer, int channels, string name)
    {
        if (buffer.Length != channels)
            throw new ArgumentException($"batch norm {name} has {buffer.Length} values, expected {channels}");
    }
}

/// <summary>
/// A prototypical-network episode laid out class-major in the batch: class c occupies items
/// [c·(Shots+Queries), (c+1)·(Shots+Queries)), its <see cref="Shots"/> supports first, then its queries.
/// </summary>
public readonly record struct EpisodeShape(int Ways, int Shots, int Queries, int Dim)
{
    public int PerClass => Shots + Queries;
    public int Batch => Ways * PerClass;

    public void Validate()
    {
        Check.Positive(Ways, "ways");
        Check.Positive(Shots, "shots");
        Check.Positive(Queries, "queries");
        Check.Positive(Dim, "embedding dimension");
    }
}
