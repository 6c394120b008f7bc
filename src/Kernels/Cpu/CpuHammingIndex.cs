using System.Numerics;

namespace Lshk.Kernels.Cpu;

/// <summary>Hamming search on the CPU.</summary>
internal sealed class CpuHammingIndex : IHammingIndex
{
    private readonly uint[] _codes;
    private readonly int _words;

    public CpuHammingIndex(ReadOnlySpan<uint> codes, int n, int bits)
    {
        Check.NonNegative(n, nameof(n));
        Check.Positive(bits, nameof(bits));
        _words = Check.Words(bits);
        Check.Length(codes, (long)n * _words, nameof(codes));
        _codes = codes.ToArray();
        Count = n;
        Bits = bits;
    }

    public int Count { get; }
    public int Bits { get; }

    public TopK<int> Search(ReadOnlySpan<uint> queries, int q, int k)
    {
        Check.NonNegative(q, nameof(q));
        Check.Positive(k, nameof(k));
        Check.Length(queries, (long)q * _words, nameof(queries));
        var result = TopK.ForCounts(q, k);
        uint[] qs = queries.ToArray();
        Parallel.For(0, q, r =>
        {
            var scores = result.ScoreRow(r);
            var idx = result.IndexRow(r);
            int threshold = TopK.MissingCount;
            for (int s = 0; s < Count; s++)
            {
                int h = 0;
                for (int j = 0; j < _words; j++) h += BitOperations.PopCount(qs[r * _words + j] ^ _codes[s * _words + j]);
                int xnor = Bits - h;
                if (xnor > threshold)
                {
                    TopKList.Insert(scores, idx, xnor, s);
                    threshold = scores[k - 1];
                }
            }
        });
        return result;
    }

    public void Dispose()
    {
    }
}
