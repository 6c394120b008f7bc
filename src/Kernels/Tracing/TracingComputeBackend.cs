namespace Lshk.Kernels.Tracing;

/// <summary>
/// A compute backend that records a span per call of <paramref name="inner"/> (and of the indexes it makes) in a
/// <see cref="TraceRecorder"/>. Put in place only when a trace is asked for, so untraced runs call the backend
/// directly. <see cref="Nn.NnOps.For"/> sees through it (traced neural-net ops on the inner backend).
/// </summary>
public sealed class TracingComputeBackend(IComputeBackend inner, TraceRecorder recorder) : IComputeBackend
{
    private readonly string _device = inner.Device.Name;

    public IComputeBackend Inner { get; } = inner;
    public TraceRecorder Recorder { get; } = recorder;
    public DeviceInfo Device => Inner.Device;

    public void Project(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> planes, ReadOnlySpan<float> offsets, int p,
        Span<float> projections)
    {
        long start = Recorder.Now();
        Inner.Project(x, n, d, planes, offsets, p, projections);
        Recorder.End("project", _device, start, ProjectionRead(n, d, p, offsets.Length), TraceBytes.Floats((long)n * p),
            ("n", n), ("d", d), ("p", p));
    }

    public void ProjectPack(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> planes, ReadOnlySpan<float> offsets, int p,
        Span<uint> codes)
    {
        long start = Recorder.Now();
        Inner.ProjectPack(x, n, d, planes, offsets, p, codes);
        Recorder.End("project-pack", _device, start, ProjectionRead(n, d, p, offsets.Length),
            TraceBytes.Words((long)n * Words(p)), ("n", n), ("d", d), ("p", p));
    }

    public IHammingIndex CreateHammingIndex(ReadOnlySpan<uint> codes, int n, int bits)
    {
        long start = Recorder.Now();
        var index = Inner.CreateHammingIndex(codes, n, bits);
        Recorder.End("hamming-index", _device, start, TraceBytes.Words((long)n * Words(bits)), 0, ("n", n), ("bits", bits));
        return new TracingHammingIndex(index, Recorder, _device);
    }

    public IAsymmetricIndex CreateAsymmetricIndex(ReadOnlySpan<uint> codes, int n, int bits)
    {
        long start = Recorder.Now();
        var index = Inner.CreateAsymmetricIndex(codes, n, bits);
        Recorder.End("asymmetric-index", _device, start, TraceBytes.Words((long)n * Words(bits)), 0, ("n", n), ("bits", bits));
        return new TracingAsymmetricIndex(index, Recorder, _device);
    }

    public ICosineIndex CreateCosineIndex(ReadOnlySpan<float> x, int n, int d)
    {
        long start = Recorder.Now();
        var index = Inner.CreateCosineIndex(x, n, d);
        Recorder.End("cosine-index", _device, start, TraceBytes.Floats((long)n * d), 0, ("n", n), ("d", d));
        return new TracingCosineIndex(index, Recorder, _device);
    }

    public void MajorityCodes(ReadOnlySpan<uint> codes, int n, int bits, ReadOnlySpan<int> labels, int classes, Span<uint> result)
    {
        long start = Recorder.Now();
        Inner.MajorityCodes(codes, n, bits, labels, classes, result);
        Recorder.End("majority-codes", _device, start, TraceBytes.Words((long)n * Words(bits)) + TraceBytes.Ints(n),
            TraceBytes.Words((long)classes * Words(bits)), ("n", n), ("bits", bits), ("classes", classes));
    }

    public void ClassMeans(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<int> labels, int classes, Span<float> result)
    {
        long start = Recorder.Now();
        Inner.ClassMeans(x, n, d, labels, classes, result);
        Recorder.End("class-means", _device, start, TraceBytes.Floats((long)n * d) + TraceBytes.Ints(n),
            TraceBytes.Floats((long)classes * d), ("n", n), ("d", d), ("classes", classes));
    }

    public TopK<float> SigmoidTopK(ReadOnlySpan<float> queryProjections, int q, ReadOnlySpan<float> supportProjections, int n,
        int p, float sharpness, int k)
    {
        long start = Recorder.Now();
        var result = Inner.SigmoidTopK(queryProjections, q, supportProjections, n, p, sharpness, k);
        Recorder.End("sigmoid-topk", _device, start, TraceBytes.Floats((long)(q + n) * p), TraceBytes.Of(result),
            ("q", q), ("n", n), ("p", p), ("k", k));
        return result;
    }

    public void QuantizeProducts(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> centroids, int subspaces,
        Span<uint> codes)
    {
        long start = Recorder.Now();
        Inner.QuantizeProducts(x, n, d, centroids, subspaces, codes);
        Recorder.End("quantize-products", _device, start, TraceBytes.Floats((long)n * d + centroids.Length),
            TraceBytes.Words(codes.Length), ("n", n), ("d", d), ("subspaces", subspaces));
    }

    public TopK<float> ProductCodeTopK(ReadOnlySpan<float> queries, int q, ReadOnlySpan<uint> codes, int n, int d,
        ReadOnlySpan<float> centroids, int subspaces, ReadOnlySpan<float> shift, int k)
    {
        long start = Recorder.Now();
        var result = Inner.ProductCodeTopK(queries, q, codes, n, d, centroids, subspaces, shift, k);
        Recorder.End("product-code-topk", _device, start,
            TraceBytes.Floats((long)q * d + centroids.Length + shift.Length) + TraceBytes.Words(codes.Length),
            TraceBytes.Of(result), ("q", q), ("n", n), ("d", d), ("subspaces", subspaces), ("k", k));
        return result;
    }

    public void Dispose() => Inner.Dispose();

    /// <summary>32-bit words of one packed code of <paramref name="bits"/> bits.</summary>
    internal static long Words(int bits) => (bits + 31) / 32;

    /// <summary>x (N×D), the planes (P×D) and the offsets given (P, or none).</summary>
    private static long ProjectionRead(int n, int d, int p, int offsets) =>
        TraceBytes.Floats((long)n * d + (long)p * d + offsets);
}
