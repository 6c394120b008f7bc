using ILGPU;

namespace Lshk.Kernels.Gpu;

/// <summary>
/// XNOR count between packed codes. Supports are stored word-major (word w of support s at w*N + s), so the lanes
/// of a warp, which score consecutive supports, read consecutive words. popc comes from IntrinsicMath.PopCount
/// (BitOperations.PopCount would compile to a software bit count).
/// </summary>
internal readonly struct HammingScorer(ArrayView<uint> queries, ArrayView<uint> supportsByWord, int supports, int words,
    int bits) : IPairScorer
{
    private readonly ArrayView<uint> _queries = queries;               // Q × words, row-major
    private readonly ArrayView<uint> _supportsByWord = supportsByWord; // words × N
    private readonly int _supports = supports;
    private readonly int _words = words;
    private readonly int _bits = bits;

    public uint Key(int query, int support)
    {
        long q = (long)query * _words;
        int distance = 0;
        int w = 0;
        // Four words per step: four independent loads in flight per lane before the first popc, which a memory-bound
        // scan needs to keep enough bytes moving (one load at a time leaves the GPU's memory mostly idle).
        for (; w + WordsPerStep <= _words; w += WordsPerStep)
        {
            long at = (long)w * _supports + support;
            uint a = _supportsByWord[at];
            uint b = _supportsByWord[at + _supports];
            uint c = _supportsByWord[at + 2L * _supports];
            uint d = _supportsByWord[at + 3L * _supports];
            distance += IntrinsicMath.PopCount(_queries[q + w] ^ a) + IntrinsicMath.PopCount(_queries[q + w + 1] ^ b)
                + IntrinsicMath.PopCount(_queries[q + w + 2] ^ c) + IntrinsicMath.PopCount(_queries[q + w + 3] ^ d);
        }
        for (; w < _words; w++)
            distance += IntrinsicMath.PopCount(_queries[q + w] ^ _supportsByWord[(long)w * _supports + support]);
        return OrderedKeys.FromInt(_bits - distance);
    }

    private const int WordsPerStep = 4;
}

/// <summary>Cosine between unit vectors: a dot product. Supports are stored dimension-major (D × N), like codes.</summary>
internal readonly struct CosineScorer(ArrayView<float> queries, ArrayView<float> supportsByDim, int supports, int dim)
    : IPairScorer
{
    private readonly ArrayView<float> _queries = queries;             // Q × D, unit rows
    private readonly ArrayView<float> _supportsByDim = supportsByDim; // D × N, unit columns
    private readonly int _supports = supports;
    private readonly int _dim = dim;

    public uint Key(int query, int support)
    {
        long q = (long)query * _dim;
        float dot = 0f;
        for (int j = 0; j < _dim; j++)
            dot += _queries[q + j] * _supportsByDim[(long)j * _supports + support];
        return OrderedKeys.FromFloat(dot);
    }
}

/// <summary>The sigmoid LSH score Σ_i sigmoid(sharpness · s_i · q_i) over raw projections (supports P × N).</summary>
internal readonly struct SigmoidScorer(ArrayView<float> queries, ArrayView<float> supportsByPlane, int supports,
    int planes, float sharpness) : IPairScorer
{
    private readonly ArrayView<float> _queries = queries;                 // Q × P, row-major
    private readonly ArrayView<float> _supportsByPlane = supportsByPlane; // P × N
    private readonly int _supports = supports;
    private readonly int _planes = planes;
    private readonly float _sharpness = sharpness;
    private const float Log2E = 1.442695041f;

    public uint Key(int query, int support)
    {
        long q = (long)query * _planes;
        float total = 0f;
        for (int i = 0; i < _planes; i++)
        {
            float x = _queries[q + i] * _supportsByPlane[(long)i * _supports + support] * _sharpness;
            // exp(-x) as 2^(-x·log2 e): ILGPU has no PTX exp without libdevice or ILGPU.Algorithms, but its Exp2
            // intrinsic (despite the class name CPUOnly) maps to the native ex2.approx.f32 on CUDA.
            float e = IntrinsicMath.CPUOnly.Exp2(-x * Log2E);
            total += 1f / (1f + e);
        }
        return OrderedKeys.FromFloat(total);
    }
}
