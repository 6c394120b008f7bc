using ILGPU;
using ILGPU.Runtime;

namespace Lshk.Kernels.Gpu;

/// <summary>Packed support codes kept in device memory, word-major, for the warp top-k Hamming search.</summary>
internal sealed class IlgpuHammingIndex : IHammingIndex
{
    private readonly IlgpuBackend _backend;
    private readonly int _words;
    private MemoryBuffer1D<uint, Stride1D.Dense>? _supportsByWord; // words × N

    public IlgpuHammingIndex(IlgpuBackend backend, ReadOnlySpan<uint> codes, int n, int bits)
    {
        _words = BackendChecks.HammingIndex(codes, n, bits);
        _backend = backend;
        Count = n;
        Bits = bits;

        // Word-major layout: word w of support s at w*N + s (see HammingScorer).
        var byWord = new uint[codes.Length];
        for (int s = 0; s < n; s++)
            for (int w = 0; w < _words; w++)
                byWord[(long)w * n + s] = codes[s * _words + w];
        lock (backend.Gate)
        {
            backend.ThrowIfDisposed();
            _supportsByWord = backend.Upload<uint>(byWord);
        }
    }

    public int Count { get; }
    public int Bits { get; }

    public TopK<int> Search(ReadOnlySpan<uint> queries, int q, int k)
    {
        BackendChecks.Search(queries, q, _words, k);
        if (q == 0 || Count == 0) return TopK.ForCounts(q, k);
        lock (_backend.Gate)
        {
            _backend.ThrowIfDisposed();
            var supports = _supportsByWord ?? throw new ObjectDisposedException(nameof(IlgpuHammingIndex));
            using var bq = _backend.Upload(queries);
            var scorer = new HammingScorer(bq.View, supports.View, Count, _words, Bits);
            ulong[] entries = _backend.RunTopK(_backend.HammingTopKKernel, scorer, q, Count, k,
                OrderedKeys.FromInt(TopK.MissingCount));
            return IlgpuBackend.DecodeCounts(entries, q, k);
        }
    }

    public void Dispose()
    {
        lock (_backend.Gate)
        {
            _supportsByWord?.Dispose();
            _supportsByWord = null;
        }
    }
}
