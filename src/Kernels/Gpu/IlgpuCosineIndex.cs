namespace Lshk.Kernels.Gpu;

/// <summary>Unit-length support embeddings kept in device memory, dimension-major, for warp top-k cosine search.</summary>
internal sealed class IlgpuCosineIndex : IlgpuIndex<float>, ICosineIndex
{
    public IlgpuCosineIndex(IlgpuBackend backend, ReadOnlySpan<float> x, int n, int d) : base(backend, n)
    {
        BackendChecks.CosineIndex(x, n, d);
        Dim = d;
        lock (backend.Gate)
        {
            backend.ThrowIfDisposed();
            using var raw = backend.Upload(x);
            var unit = backend.Allocate<float>(x.Length);
            if (n > 0) backend.Normalise(raw.View, unit.View, n, d, dimensionMajor: true);
            backend.Synchronize(); // the kernel must finish before the raw buffer is freed
            Keep(unit);
        }
    }

    public int Dim { get; }

    public TopK<float> Search(ReadOnlySpan<float> queries, int q, int k)
    {
        BackendChecks.Search(queries, q, Dim, k);
        if (q == 0 || Count == 0) return TopK.ForFloats(q, k);
        lock (Backend.Gate)
        {
            var supports = Supports;
            using var raw = Backend.Upload(queries);
            using var unit = Backend.Allocate<float>(queries.Length);
            Backend.Normalise(raw.View, unit.View, q, Dim, dimensionMajor: false);
            var scorer = new CosineScorer(unit.View, supports, Count, Dim);
            ulong[] entries = Backend.RunTopK(Backend.CosineTopKKernel, scorer, q, Count, k,
                OrderedKeys.FromFloat(float.NegativeInfinity));
            return IlgpuBackend.DecodeFloats(entries, q, k);
        }
    }
}
