namespace Lshk.Kernels.Tracing;

// The indexes a TracingComputeBackend hands out: each search is a span that read the queries and the stored supports
// (the whole index is scanned) and wrote the top-k result.

internal sealed class TracingHammingIndex(IHammingIndex inner, TraceRecorder recorder, string device) : IHammingIndex
{
    public int Count => inner.Count;
    public int Bits => inner.Bits;

    public TopK<int> Search(ReadOnlySpan<uint> queries, int q, int k)
    {
        long start = recorder.Now();
        var result = inner.Search(queries, q, k);
        long words = TracingComputeBackend.Words(Bits);
        recorder.End("hamming-topk", device, start, TraceBytes.Words((long)(q + Count) * words), TraceBytes.Of(result),
            ("q", q), ("n", Count), ("bits", Bits), ("k", k));
        return result;
    }

    public void Dispose() => inner.Dispose();
}

internal sealed class TracingAsymmetricIndex(IAsymmetricIndex inner, TraceRecorder recorder, string device) : IAsymmetricIndex
{
    public int Count => inner.Count;
    public int Bits => inner.Bits;

    public TopK<float> Search(ReadOnlySpan<float> queryProjections, int q, int k)
    {
        long start = recorder.Now();
        var result = inner.Search(queryProjections, q, k);
        recorder.End("asymmetric-topk", device, start,
            TraceBytes.Floats((long)q * Bits) + TraceBytes.Words(Count * TracingComputeBackend.Words(Bits)), TraceBytes.Of(result),
            ("q", q), ("n", Count), ("bits", Bits), ("k", k));
        return result;
    }

    public void Dispose() => inner.Dispose();
}

internal sealed class TracingCosineIndex(ICosineIndex inner, TraceRecorder recorder, string device) : ICosineIndex
{
    public int Count => inner.Count;
    public int Dim => inner.Dim;

    public TopK<float> Search(ReadOnlySpan<float> queries, int q, int k)
    {
        long start = recorder.Now();
        var result = inner.Search(queries, q, k);
        recorder.End("cosine-topk", device, start, TraceBytes.Floats((long)(q + Count) * Dim), TraceBytes.Of(result),
            ("q", q), ("n", Count), ("d", Dim), ("k", k));
        return result;
    }

    public void Dispose() => inner.Dispose();
}
