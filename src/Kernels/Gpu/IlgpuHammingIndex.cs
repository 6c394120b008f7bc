namespace Lshk.Kernels.Gpu;

/// <summary>Packed support codes kept in device memory, word-major, for the warp top-k Hamming search.</summary>
internal sealed class IlgpuHammingIndex : IlgpuIndex<uint>, IHammingIndex
{
    private readonly int _words;

    public IlgpuHammingIndex(IlgpuBackend backend, ReadOnlySpan<uint> codes, int n, int bits) : base(backend, n)
    {
        _words = BackendChecks.HammingIndex(codes, n, bits);
        Bits = bits;

        KeepElementMajor(codes, n, _words); // word w of support s at w*N + s (see HammingScorer)
    }

    public int Bits { get; }

    public TopK<int> Search(ReadOnlySpan<uint> queries, int q, int k)
    {
        BackendChecks.Search(queries, q, _words, k);
        if (q == 0 || Count == 0) return TopK.ForCounts(q, k);
        lock (Backend.Gate)
        {
            var supports = Supports;
            using var bq = Backend.Upload(queries);
            var scorer = new HammingScorer(bq.View, supports, Count, _words, Bits);
            ulong[] entries = Backend.RunTopK(Backend.HammingTopKKernel, scorer, q, Count, k,
                OrderedKeys.FromInt(TopK.MissingCount));
            return IlgpuBackend.DecodeCounts(entries, q, k);
        }
    }
}
