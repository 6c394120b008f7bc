using ILGPU;
using ILGPU.Runtime;
using Lshk.Kernels.Cpu;

namespace Lshk.Kernels.Gpu;

/// <summary>
/// Packed support codes kept in device memory, word-major, searched by <see cref="AsymmetricKernels.WarpTopK"/>
/// (the CPU form is <see cref="CpuAsymmetricIndex"/>). The queries' fixed-point projections are computed on the
/// host by the same <see cref="AsymmetricFixedPoint.Scale"/> the CPU uses, so both backends sum the same integers.
/// </summary>
internal sealed class IlgpuAsymmetricIndex : IAsymmetricIndex
{
    private readonly IlgpuBackend _backend;
    private readonly int _words;
    private MemoryBuffer1D<uint, Stride1D.Dense>? _supportsByWord; // words × N

    public IlgpuAsymmetricIndex(IlgpuBackend backend, ReadOnlySpan<uint> codes, int n, int bits)
    {
        Check.NonNegative(n, nameof(n));
        Check.Positive(bits, nameof(bits));
        _words = Check.Words(bits);
        Check.Length(codes, (long)n * _words, nameof(codes));
        _backend = backend;
        Count = n;
        Bits = bits;

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

    public TopK<float> Search(ReadOnlySpan<float> queryProjections, int q, int k)
    {
        Check.NonNegative(q, nameof(q));
        Check.Positive(k, nameof(k));
        Check.Length(queryProjections, (long)q * Bits, nameof(queryProjections));
        Check.Finite(queryProjections, Bits, nameof(queryProjections));
        var result = TopK.ForFloats(q, k);
        if (q == 0 || Count == 0) return result;

        var weights = new long[(long)q * Bits];
        var shifts = new int[q];
        for (int r = 0; r < q; r++)
            shifts[r] = AsymmetricFixedPoint.Scale(queryProjections.Slice(r * Bits, Bits), weights.AsSpan(r * Bits, Bits));

        var scores = new long[(long)q * k];
        var indices = new int[(long)q * k];
        lock (_backend.Gate)
        {
            _backend.ThrowIfDisposed();
            var supports = _supportsByWord ?? throw new ObjectDisposedException(nameof(IlgpuAsymmetricIndex));
            Run(supports, weights, q, k, scores, indices);
        }
        for (int r = 0; r < q; r++)
            for (int j = 0; j < k; j++)
            {
                int e = r * k + j;
                if (indices[e] < 0) break;
                result.Indices[e] = indices[e];
                result.Scores[e] = AsymmetricFixedPoint.ToFloat(scores[e], shifts[r]);
            }
        return result;
    }

    /// <summary>
    /// Launches the kernel over query chunks whose lane lists fit <see cref="IlgpuBackend.TopKScratchBytes"/>, as
    /// <see cref="IlgpuBackend.RunTopK{TScorer}"/> does for the other matchers (its entries pack a 32-bit key, too
    /// small for these 64-bit scores). Call under the backend's gate.
    /// </summary>
    private void Run(MemoryBuffer1D<uint, Stride1D.Dense> supports, long[] weights, int q, int k, long[] scores,
        int[] indices)
    {
        var config = _backend.ForWarps(1);
        int warpSize = _backend.Accelerator.WarpSize;
        if (config.GroupDim.X / warpSize > AsymmetricKernels.MaxWarpsPerGroup)
            throw new InvalidOperationException(
                $"groups of {config.GroupDim.X / warpSize} warps exceed the {AsymmetricKernels.MaxWarpsPerGroup} the asymmetric kernel's shared memory is sized for");
        int n = Count;
        int laneCapacity = (int)Math.Min(k, ((long)n + warpSize - 1) / warpSize);
        long bytesPerQuery = (long)warpSize * laneCapacity * (sizeof(long) + sizeof(int));
        int chunk = (int)Math.Clamp(_backend.TopKScratchBytes / bytesPerQuery, 1, q);
        using var bw = _backend.Upload<long>(weights);
        using var scratchScores = _backend.Allocate<long>((long)chunk * warpSize * laneCapacity);
        using var scratchIndices = _backend.Allocate<int>((long)chunk * warpSize * laneCapacity);
        using var resultScores = _backend.Allocate<long>(scores.Length);
        using var resultIndices = _backend.Allocate<int>(indices.Length);
        for (int offset = 0; offset < q; offset += chunk)
        {
            int count = Math.Min(chunk, q - offset);
            _backend.AsymmetricTopKKernel(_backend.ForWarps(count),
                new AsymmetricArgs(bw.View, supports.View, count, offset, n, Bits, k, laneCapacity, scratchScores.View,
                    scratchIndices.View, resultScores.View, resultIndices.View));
        }
        IlgpuBackend.Download(resultScores, scores);
        IlgpuBackend.Download(resultIndices, indices);
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
