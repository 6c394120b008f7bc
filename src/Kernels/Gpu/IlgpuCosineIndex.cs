using ILGPU;
using ILGPU.Runtime;

namespace Lshk.Kernels.Gpu;

/// <summary>Unit-length support embeddings kept in device memory, dimension-major, for warp top-k cosine search.</summary>
internal sealed class IlgpuCosineIndex : ICosineIndex
{
    private readonly IlgpuBackend _backend;
    private MemoryBuffer1D<float, Stride1D.Dense>? _unitByDim; // D × N

    public IlgpuCosineIndex(IlgpuBackend backend, ReadOnlySpan<float> x, int n, int d)
    {
        BackendChecks.CosineIndex(x, n, d);
        _backend = backend;
        Count = n;
        Dim = d;
        lock (backend.Gate)
        {
            backend.ThrowIfDisposed();
            using var raw = backend.Upload(x);
            var unit = backend.Allocate<float>(x.Length);
            if (n > 0) backend.Normalise(raw.View, unit.View, n, d, dimensionMajor: true);
            backend.Synchronize(); // the kernel must finish before the raw buffer is freed
            _unitByDim = unit;
        }
    }

    public int Count { get; }
    public int Dim { get; }

    public TopK<float> Search(ReadOnlySpan<float> queries, int q, int k)
    {
        BackendChecks.Search(queries, q, Dim, k);
        if (q == 0 || Count == 0) return TopK.ForFloats(q, k);
        lock (_backend.Gate)
        {
            _backend.ThrowIfDisposed();
            var supports = _unitByDim ?? throw new ObjectDisposedException(nameof(IlgpuCosineIndex));
            using var raw = _backend.Upload(queries);
            using var unit = _backend.Allocate<float>(queries.Length);
            _backend.Normalise(raw.View, unit.View, q, Dim, dimensionMajor: false);
            var scorer = new CosineScorer(unit.View, supports.View, Count, Dim);
            ulong[] entries = _backend.RunTopK(_backend.CosineTopKKernel, scorer, q, Count, k,
                OrderedKeys.FromFloat(float.NegativeInfinity));
            return IlgpuBackend.DecodeFloats(entries, q, k);
        }
    }

    public void Dispose()
    {
        lock (_backend.Gate)
        {
            _unitByDim?.Dispose();
            _unitByDim = null;
        }
    }
}
