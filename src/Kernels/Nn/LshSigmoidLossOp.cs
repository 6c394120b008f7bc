namespace Lshk.Kernels.Nn;

/// <summary>Settings of one <see cref="ILshSigmoidLossOp"/> call: P planes, the sigmoid's sharpness k and the logits' scale.</summary>
public readonly record struct LshSigmoidSettings(int Planes, float Sharpness, float Scale);

/// <summary>
/// The original study's "LSH in the loop" training loss (<c>lshk train --loss lsh-sigmoid</c>), kept so its result can
/// be reproduced next to hash-aware training: a matching network whose similarity is a soft count of agreeing hash
/// bits over P planes, sim(q, s) = (1/P)·Σᵢ σ(k·(q·wᵢ)·(s·wᵢ + oᵢ)) (offsets on the support side, as the study), the
/// logits over the supports are scale·sim, a class's probability the sum over its supports, and the loss the mean
/// over queries of −log p(true class). Episodes are class-major (<see cref="EpisodeShape"/>).
///
/// Forms: <see cref="Cpu.CpuLshSigmoidLoss"/> (CPU), <see cref="Gpu.IlgpuLshSigmoidLoss"/> with kernels in
/// <see cref="Gpu.LshSigmoidLossKernels"/> (GPU); float64 reference in tests/Nn/LshSigmoidLossTests.cs. Weight is
/// P×D row-major, offsets P.
/// </summary>
public interface ILshSigmoidLossOp
{
    /// <summary>
    /// The loss and the queries' accuracy (argmax class, ties to the lower class). Writes dL/dembeddings; when
    /// <paramref name="dWeight"/> and <paramref name="dOffsets"/> are given (trainable planes) accumulates theirs.
    /// </summary>
    (float Loss, float Accuracy) Compute(NnBuffer embeddings, NnBuffer weight, NnBuffer offsets, in EpisodeShape episode,
        in LshSigmoidSettings settings, NnBuffer dEmbeddings, NnBuffer? dWeight, NnBuffer? dOffsets);
}
