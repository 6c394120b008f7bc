namespace Lshk.Kernels.Cpu;

/// <summary>
/// The CPU backend: managed code with SIMD (Vector256/Vector512) and Parallel.For over cores.
/// This is the fast CPU path for users; ILGPU's CPU accelerator is only for testing the GPU kernels.
/// </summary>
public sealed class CpuBackend : IComputeBackend
{
    public DeviceInfo Device { get; } = Describe();

    public static DeviceInfo Describe()
    {
        string simd = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "AVX-512"
            : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? "AVX2" : "scalar";
        long memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return new DeviceInfo($"CPU ({Environment.ProcessorCount} cores, {simd})", "cpu", memory, null, 1,
            Environment.ProcessorCount);
    }

    public void Project(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> planes, ReadOnlySpan<float> offsets,
        int p, Span<float> projections) =>
        CpuProjection.Project(x, n, d, planes, offsets, p, projections);

    public void ProjectPack(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> planes, ReadOnlySpan<float> offsets,
        int p, Span<uint> codes) =>
        CpuProjection.ProjectPack(x, n, d, planes, offsets, p, codes);

    public IHammingIndex CreateHammingIndex(ReadOnlySpan<uint> codes, int n, int bits) => new CpuHammingIndex(codes, n, bits);

    public IAsymmetricIndex CreateAsymmetricIndex(ReadOnlySpan<uint> codes, int n, int bits) =>
        new CpuAsymmetricIndex(codes, n, bits);

    public ICosineIndex CreateCosineIndex(ReadOnlySpan<float> x, int n, int d) => new CpuCosineIndex(x, n, d);

    public void MajorityCodes(ReadOnlySpan<uint> codes, int n, int bits, ReadOnlySpan<int> labels, int classes,
        Span<uint> result) =>
        CpuPrototypes.MajorityCodes(codes, n, bits, labels, classes, result);

    public void QuantizeProducts(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> centroids, int subspaces,
        Span<uint> codes) =>
        CpuProductCodes.Quantize(x, n, d, centroids, subspaces, codes);

    public TopK<float> ProductCodeTopK(ReadOnlySpan<float> queries, int q, ReadOnlySpan<uint> codes, int n, int d,
        ReadOnlySpan<float> centroids, int subspaces, ReadOnlySpan<float> shift, int k) =>
        CpuProductCodes.TopK(queries, q, codes, n, d, centroids, subspaces, shift, k);

    public void ClassMeans(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<int> labels, int classes, Span<float> result) =>
        CpuPrototypes.ClassMeans(x, n, d, labels, classes, result);

    public TopK<float> SigmoidTopK(ReadOnlySpan<float> queryProjections, int q, ReadOnlySpan<float> supportProjections,
        int n, int p, float sharpness, int k) =>
        CpuSigmoid.TopK(queryProjections, q, supportProjections, n, p, sharpness, k);

    public void Dispose()
    {
    }
}
