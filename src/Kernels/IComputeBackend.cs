namespace Lshk.Kernels;

/// <summary>
/// Every compute operation of lshk, behind one interface. There are two implementations:
/// <see cref="Cpu.CpuBackend"/> (managed SIMD, the fast CPU path) and <c>Gpu.IlgpuBackend</c>
/// (hand-written ILGPU kernels: CUDA PTX on NVIDIA GPUs, or ILGPU's CPU accelerator for tests).
///
/// Shapes are row-major: x is N×D, planes P×D, codes N×W with W = ⌈P/32⌉ (see ARCHITECTURE.md).
/// Integer results agree bit for bit across backends; float results within a stated tolerance.
/// </summary>
public interface IComputeBackend : IDisposable
{
    DeviceInfo Device { get; }

    /// <summary>
    /// Raw projections: projections[n*P + i] = dot(planes[i], x[n]) + offsets[i].
    /// The dot product is summed over d in increasing order, multiply then add (no fused multiply-add),
    /// so every backend computes the same float. An empty <paramref name="offsets"/> means all zero.
    /// </summary>
    void Project(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> planes, ReadOnlySpan<float> offsets, int p,
        Span<float> projections);

    /// <summary>
    /// Fused projection + sign + bit packing: bit i of item n is 1 iff its projection (as in
    /// <see cref="Project"/>) is ≥ 0; packed LSB-first into codes[n*W + i/32]; unused high bits are 0.
    /// </summary>
    void ProjectPack(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> planes, ReadOnlySpan<float> offsets, int p,
        Span<uint> codes);

    /// <summary>An index of N packed codes of <paramref name="bits"/> bits each, searched by Hamming distance.</summary>
    IHammingIndex CreateHammingIndex(ReadOnlySpan<uint> codes, int n, int bits);

    /// <summary>
    /// An index of N packed codes of <paramref name="bits"/> bits each (the same codes as
    /// <see cref="CreateHammingIndex"/>), searched by asymmetric score: the query keeps its real projections
    /// (<see cref="Project"/>), the supports stay bits.
    /// </summary>
    IAsymmetricIndex CreateAsymmetricIndex(ReadOnlySpan<uint> codes, int n, int bits);

    /// <summary>An index of N float embeddings of dimension D, searched by cosine similarity.</summary>
    ICosineIndex CreateCosineIndex(ReadOnlySpan<float> x, int n, int d);

    /// <summary>
    /// Per-class majority-vote codes: bit i of class c is 1 iff at least half of the class's codes have bit i
    /// set (ties give 1, like the sign convention). A class with no members gets an all-zero code.
    /// labels[n] is in [0, classes).
    /// </summary>
    void MajorityCodes(ReadOnlySpan<uint> codes, int n, int bits, ReadOnlySpan<int> labels, int classes, Span<uint> result);

    /// <summary>Per-class mean embeddings (classes × D); a class with no members gets zeros.</summary>
    void ClassMeans(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<int> labels, int classes, Span<float> result);

    /// <summary>
    /// The original study's "sigmoid LSH" score between raw projections:
    /// score(q, s) = Σ_i sigmoid(sharpness · s_i · q_i), and the top-k supports for each query
    /// (highest score first, ties to the lower index).
    /// </summary>
    TopK<float> SigmoidTopK(ReadOnlySpan<float> queryProjections, int q, ReadOnlySpan<float> supportProjections, int n,
        int p, float sharpness, int k);

    /// <summary>
    /// Product-quantiser encoding (layout: <see cref="ProductCodes"/>): x is N×D, split into
    /// <paramref name="subspaces"/> runs of D/M; byte j of item n is the centroid of subspace j nearest to run j in
    /// squared distance (Σ over the run in increasing order of (x − c)², each operation rounded; ties to the lower
    /// centroid). Codes are N × ⌈M/4⌉ words.
    /// </summary>
    void QuantizeProducts(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> centroids, int subspaces, Span<uint> codes);

    /// <summary>
    /// The asymmetric distance of product-quantiser codes: for each query (D floats, kept real) the top-k of N coded
    /// supports by q·r/‖r‖, r a support's reconstruction (its M centroids, each plus <paramref name="shift"/>, empty =
    /// none), so with a unit query the score is the cosine to the reconstruction; a zero r scores 0. Highest first,
    /// ties to the lower index. q·r is summed per subspace (increasing position) and then over subspaces, ‖r‖² the
    /// same way, so every backend computes the same floats.
    /// </summary>
    TopK<float> ProductCodeTopK(ReadOnlySpan<float> queries, int q, ReadOnlySpan<uint> codes, int n, int d,
        ReadOnlySpan<float> centroids, int subspaces, ReadOnlySpan<float> shift, int k);
}

/// <summary>Packed codes kept where the backend computes (host memory or device memory).</summary>
public interface IHammingIndex : IDisposable
{
    int Count { get; }
    int Bits { get; }

    /// <summary>
    /// Top-k supports for each of the <paramref name="q"/> query codes: scores are XNOR counts
    /// (Bits − Hamming distance), highest first; ties go to the lower support index.
    /// </summary>
    TopK<int> Search(ReadOnlySpan<uint> queries, int q, int k);
}

/// <summary>
/// Packed codes searched by asymmetric score (the asymmetric distance of binary embeddings): for a query with real
/// projections p (P floats, as <see cref="IComputeBackend.Project"/> gives them, before the sign) and a support code
/// with bits b, score = Σ_i p_i·(b_i ? +1 : −1) = 2·Σ_{b_i set} p_i − Σ_i p_i. Higher is better.
/// </summary>
public interface IAsymmetricIndex : IDisposable
{
    int Count { get; }
    int Bits { get; }

    /// <summary>
    /// Top-k supports for each of the <paramref name="q"/> queries (q × Bits finite projections, row-major), highest
    /// score first, ties to the lower support index; padding is index -1 with score -∞. Every backend computes the
    /// same scores bit for bit: each query's projections are put on a 64-bit fixed-point grid and summed exactly
    /// (see Cpu.AsymmetricFixedPoint), so the order is the exact order of the real sums up to P/2 grid steps of at
    /// most Σ|p_i|·2⁻⁵⁹, and the float score returned is that exact sum rounded to float.
    /// </summary>
    TopK<float> Search(ReadOnlySpan<float> queryProjections, int q, int k);
}

/// <summary>Float embeddings kept (normalised) where the backend computes.</summary>
public interface ICosineIndex : IDisposable
{
    int Count { get; }
    int Dim { get; }

    /// <summary>Top-k supports by cosine similarity, highest first, ties to the lower index. A zero vector has cosine 0 with everything.</summary>
    TopK<float> Search(ReadOnlySpan<float> queries, int q, int k);
}
