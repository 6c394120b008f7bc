using ILGPU;
using ILGPU.Runtime;
using Lshk.Kernels.Cpu;

namespace Lshk.Kernels.Gpu;

/// <summary>
/// Packed support codes kept in device memory, word-major, searched by <see cref="AsymmetricKernels.WarpTopK"/>
/// (the CPU form is <see cref="CpuAsymmetricIndex"/>). The queries' fixed-point projections are computed on the
/// host by the same <see cref="AsymmetricFixedPoint.Scale"/> the CPU uses, so both backends sum the same integers.
/// </summary>
internal sealed class IlgpuAsymmetricIndex : IlgpuIndex<uint>, IAsymmetricIndex
{
    public IlgpuAsymmetricIndex(IlgpuBackend backend, ReadOnlySpan<uint> codes, int n, int bits) : base(backend, n)
    {
        int words = BackendChecks.AsymmetricIndex(codes, n, bits);
        Bits = bits;
        KeepElementMajor(codes, n, words); // word w of support s at w*N + s, as for the Hamming index
    }

    public int Bits { get; }

    public TopK<float> Search(ReadOnlySpan<float> queryProjections, int q, int k)
    {
        BackendChecks.AsymmetricSearch(queryProjections, q, Bits, k);
        if (q == 0 || Count == 0) return TopK.ForFloats(q, k);

        var weights = new long[(long)q * Bits];
        var shifts = new int[q];
        for (int r = 0; r < q; r++)
            shifts[r] = AsymmetricFixedPoint.Scale(queryProjections.Slice(r * Bits, Bits), weights.AsSpan(r * Bits, Bits));

        var scores = new long[(long)q * k];
        var indices = new int[(long)q * k];
        lock (Backend.Gate) Run(Supports, weights, q, k, scores, indices);
        return AsymmetricFixedPoint.ToTopK(scores, indices, shifts, q, k);
    }

    /// <summary>
    /// Launches the kernel over query chunks whose lane lists fit <see cref="IlgpuBackend.TopKScratchBytes"/>, as
    /// <see cref="IlgpuBackend.RunTopK{TScorer}"/> does for the other matchers (its entries pack a 32-bit key, too
    /// small for these 64-bit scores). Call under the backend's gate.
    /// </summary>
    private void Run(ArrayView<uint> supports, long[] weights, int q, int k, long[] scores, int[] indices)
    {
        var config = Backend.ForWarps(1);
        int warpSize = Backend.Accelerator.WarpSize;
        if (config.GroupDim.X / warpSize > AsymmetricKernels.MaxWarpsPerGroup)
            throw new InvalidOperationException(
                $"groups of {config.GroupDim.X / warpSize} warps exceed the {AsymmetricKernels.MaxWarpsPerGroup} the asymmetric kernel's shared memory is sized for");
        int n = Count;
        int laneCapacity = (int)Math.Min(k, ((long)n + warpSize - 1) / warpSize);
        long bytesPerQuery = (long)warpSize * laneCapacity * (sizeof(long) + sizeof(int));
        int chunk = (int)Math.Clamp(Backend.TopKScratchBytes / bytesPerQuery, 1, q);
        using var bw = Backend.Upload<long>(weights);
        using var scratchScores = Backend.Allocate<long>((long)chunk * warpSize * laneCapacity);
        using var scratchIndices = Backend.Allocate<int>((long)chunk * warpSize * laneCapacity);
        using var resultScores = Backend.Allocate<long>(scores.Length);
        using var resultIndices = Backend.Allocate<int>(indices.Length);
        for (int offset = 0; offset < q; offset += chunk)
        {
            int count = Math.Min(chunk, q - offset);
            Backend.AsymmetricTopKKernel(Backend.ForWarps(count),
                new AsymmetricArgs(bw.View, supports, count, offset, n, Bits, k, laneCapacity, scratchScores.View,
                    scratchIndices.View, resultScores.View, resultIndices.View));
        }
        IlgpuBackend.Download(resultScores, scores);
        IlgpuBackend.Download(resultIndices, indices);
    }
}
