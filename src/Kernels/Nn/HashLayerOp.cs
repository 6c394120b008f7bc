namespace Lshk.Kernels.Nn;

/// <summary>Sizes of a hash layer call: <see cref="Batch"/> embeddings of <see cref="Dim"/> floats, <see cref="Planes"/> code bits.</summary>
public readonly record struct HashLayerShape(int Batch, int Dim, int Planes)
{
    public int Inputs => Batch * Dim;
    public int Codes => Batch * Planes;
    public int Weights => Planes * Dim;
}

/// <summary>
/// The regularisers of hash-aware training (see <see cref="IHashLayerOp.AddPenaltyGradients"/> and
/// <see cref="IHashLayerOp.AddDecorrelationGradient"/>; the last is 0 where it is not asked for).
/// </summary>
public readonly record struct HashPenalties(float Quantisation, float Balance, float Decorrelation = 0f);

/// <summary>
/// The trainable hash layer's operation (hash-aware training): a linear map D→P whose rows are hyperplane normals
/// and whose bias is their offsets, followed by tanh(β·z), the smooth stand-in for sign(z) that β sharpens as
/// training goes on (HashNet's continuation). At inference the same weights hash with sign(), so the bits the
/// Hamming kernels compare are the limit of what training optimised.
///
/// With <c>normalise</c> (<c>lshk train --hash-normalise</c>) each plane's projections are divided by their RMS over
/// the batch before tanh: u = z/s, s = √(mean_b z² + ε). Why: without it the network can meet the quantisation term by
/// scaling the planes up (the same as a sharper β), which leaves as many images near each plane relative to the spread
/// of its projections; dividing by s makes "near the plane" relative to that spread, so the term pushes images away
/// from the planes instead. sign(z/s) = sign(z), so the stored planes and every Hamming kernel stay as they are.
///
/// Forms: <see cref="Cpu.CpuHashLayer"/> (CPU), <see cref="Gpu.IlgpuHashLayer"/> with kernels in
/// <see cref="Gpu.HashLayerKernels"/> (GPU); float64 reference in tests/Nn/HashLayerTests.cs. Registered in
/// <see cref="NnOpRegistry"/>. Buffers are row-major: embeddings B×D, weight P×D, bias P, codes B×P.
/// </summary>
public interface IHashLayerOp
{
    /// <summary>RMS floor of the normalised form (squared, added under the root): keeps a plane every image projects to 0 finite.</summary>
    public const float NormaliseEpsilon = 1e-6f;

    /// <summary>
    /// codes[b,i] = tanh(β·z[b,i]) with z[b,i] = Σⱼ embeddings[b,j]·weight[i,j] + bias[i]; with <paramref name="normalise"/>,
    /// tanh(β·z[b,i]/s[i]) with s[i] = √(mean_b z[b,i]² + <see cref="NormaliseEpsilon"/>) (the op keeps z and s for the backward).
    /// </summary>
    void Forward(NnBuffer embeddings, NnBuffer weight, NnBuffer bias, NnBuffer codes, in HashLayerShape shape, float beta, bool normalise = false);

    /// <summary>
    /// Weighs the code loss's gradient in <paramref name="dCodes"/> by <paramref name="codeWeight"/>, adds the
    /// regularisers' gradients to it and returns their values:
    /// quantisation Q = mean over b,i of (|h| − 1)² (how far the relaxed codes are from ±1; sign(0) counts as +1,
    /// as a zero projection hashes to bit 1), and bit balance B = mean over i of (mean over b of h)² (a bit that is
    /// the same for every image carries nothing). dCodes ← codeWeight·dCodes + quantisationWeight·∂Q/∂h + balanceWeight·∂B/∂h.
    /// </summary>
    HashPenalties AddPenaltyGradients(NnBuffer codes, NnBuffer dCodes, in HashLayerShape shape, float quantisationWeight,
        float balanceWeight, float codeWeight = 1f);

    /// <summary>
    /// Adds the bit-decorrelation term's gradient, times <paramref name="weight"/>, to <paramref name="dCodes"/> and
    /// returns its value: with C = HᵀH/B the codes' P×P second moments over the batch, D = mean over i ≠ j of C[i,j]²
    /// (0 when every pair of bits is uncorrelated; with balanced bits C is their covariance). ∂D/∂H[b,k] =
    /// 4/(B·P(P − 1))·Σ_{j≠k} C[k,j]·H[b,j]. Why: Hamming distance counts bits, so two bits that always agree count one
    /// difference twice and P bits carry fewer than P independent answers; the balance term alone leaves them free to.
    /// </summary>
    float AddDecorrelationGradient(NnBuffer codes, NnBuffer dCodes, in HashLayerShape shape, float weight);

    /// <summary>
    /// Given dL/dcodes of the last forward (codes = its output): dz = dCodes·β·(1 − h²); dWeight += dzᵀ·embeddings;
    /// dBias += Σ_b dz; and dEmbeddings += dz·weight (accumulated: the embeddings also feed the embedding loss). With
    /// <paramref name="normalise"/> (as the last forward), g = dCodes·β·(1 − h²) is dL/du and
    /// dz[b,i] = (g[b,i] − u[b,i]·mean_b(g[·,i]·u[·,i])) / s[i], the RMS normalisation's gradient.
    /// </summary>
    void Backward(NnBuffer embeddings, NnBuffer weight, NnBuffer codes, NnBuffer dCodes, NnBuffer dEmbeddings, NnBuffer dWeight,
        NnBuffer dBias, in HashLayerShape shape, float beta, bool normalise = false);

    /// <summary>
    /// The straight-through view of the codes (<c>lshk train --hash-straight-through</c>): the batch is blocks of
    /// <paramref name="rowsPerBlock"/> rows (an episode's classes, each its supports then its queries), and in each block
    /// the rows from <paramref name="firstSignedRow"/> on become sign(codes) = ±1 (sign(0) = +1, as a zero projection
    /// hashes to bit 1) while the rows before it are copied: signed[b,i] = sign(codes[b,i]) or codes[b,i]. The loss
    /// scored on this view sees those rows' codes as the Hamming kernels will; its gradient is handed to the relaxed
    /// codes unchanged (the straight-through estimator), so <see cref="Backward"/> runs as it is.
    /// </summary>
    void SignRows(NnBuffer codes, NnBuffer signed, in HashLayerShape shape, int rowsPerBlock, int firstSignedRow);
}
