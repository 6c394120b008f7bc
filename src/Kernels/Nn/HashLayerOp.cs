namespace Lshk.Kernels.Nn;

/// <summary>Sizes of a hash layer call: <see cref="Batch"/> embeddings of <see cref="Dim"/> floats, <see cref="Planes"/> code bits.</summary>
public readonly record struct HashLayerShape(int Batch, int Dim, int Planes)
{
    public int Inputs => Batch * Dim;
    public int Codes => Batch * Planes;
    public int Weights => Planes * Dim;
}

/// <summary>The two regularisers of hash-aware training (see <see cref="IHashLayerOp.AddPenaltyGradients"/>).</summary>
public readonly record struct HashPenalties(float Quantisation, float Balance);

/// <summary>
/// The trainable hash layer's operation (hash-aware training): a linear map D→P whose rows are hyperplane normals
/// and whose bias is their offsets, followed by tanh(β·z), the smooth stand-in for sign(z) that β sharpens as
/// training goes on (HashNet's continuation). At inference the same weights hash with sign(), so the bits the
/// Hamming kernels compare are the limit of what training optimised.
///
/// Forms: <see cref="Cpu.CpuHashLayer"/> (CPU), <see cref="Gpu.IlgpuHashLayer"/> with kernels in
/// <see cref="Gpu.HashLayerKernels"/> (GPU); float64 reference in tests/Nn/HashLayerTests.cs. Registered in
/// <see cref="NnOpRegistry"/>. Buffers are row-major: embeddings B×D, weight P×D, bias P, codes B×P.
/// </summary>
public interface IHashLayerOp
{
    /// <summary>codes[b,i] = tanh(β·(Σⱼ embeddings[b,j]·weight[i,j] + bias[i])).</summary>
    void Forward(NnBuffer embeddings, NnBuffer weight, NnBuffer bias, NnBuffer codes, in HashLayerShape shape, float beta);

    /// <summary>
    /// Adds the regularisers' gradients to <paramref name="dCodes"/> and returns their values:
    /// quantisation Q = mean over b,i of (|h| − 1)² (how far the relaxed codes are from ±1; sign(0) counts as +1,
    /// as a zero projection hashes to bit 1), and bit balance B = mean over i of (mean over b of h)² (a bit that is
    /// the same for every image carries nothing). dCodes += quantisationWeight·∂Q/∂h + balanceWeight·∂B/∂h.
    /// </summary>
    HashPenalties AddPenaltyGradients(NnBuffer codes, NnBuffer dCodes, in HashLayerShape shape, float quantisationWeight,
        float balanceWeight);

    /// <summary>
    /// Given dL/dcodes of the last forward (codes = its output): dz = dCodes·β·(1 − h²); dWeight += dzᵀ·embeddings;
    /// dBias += Σ_b dz; and dEmbeddings += dz·weight (accumulated: the embeddings also feed the embedding loss).
    /// </summary>
    void Backward(NnBuffer embeddings, NnBuffer weight, NnBuffer codes, NnBuffer dCodes, NnBuffer dEmbeddings, NnBuffer dWeight,
        NnBuffer dBias, in HashLayerShape shape, float beta);
}
