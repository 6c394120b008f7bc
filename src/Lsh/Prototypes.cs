using Lshk.Kernels;

namespace Lshk.Lsh;

/// <summary>Class prototypes for the "match against the class, not each support" variants.</summary>
public static class Prototypes
{
    /// <summary>Per-class majority-vote codes (classes × W): a query is then matched by Hamming against classes.</summary>
    public static uint[] MajorityCodes(IComputeBackend backend, ReadOnlySpan<uint> codes, int n, int bits,
        ReadOnlySpan<int> labels, int classes)
    {
        var result = new uint[(long)classes * Check.Words(bits)];
        backend.MajorityCodes(codes, n, bits, labels, classes, result);
        return result;
    }

    /// <summary>Per-class mean embeddings (classes × D): a query is then matched by cosine against classes.</summary>
    public static float[] ClassMeans(IComputeBackend backend, ReadOnlySpan<float> x, int n, int d,
        ReadOnlySpan<int> labels, int classes)
    {
        Check.Finite(x, d, "embeddings");
        var result = new float[(long)classes * d];
        backend.ClassMeans(x, n, d, labels, classes, result);
        return result;
    }
}
