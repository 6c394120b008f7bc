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
    /// small for these 64-bit scores), with the same support ranges (<see cref="IlgpuBackend.SplitsFor"/>): a split
    /// launch leaves k candidates per range, which <see cref="AsymmetricKernels.MergePairs"/> reduces, in levels,
    /// to each query's top k. Call under the backend's gate.
    /// </summary>
    private void Run(ArrayView<uint> supports, long[] weights, int q, int k, long[] scores, int[] indices)
    {
        var config = Backend.ForWarps(1);
        int warpSize = Backend.Accelerator.WarpSize;
        if (config.GroupDim.X / warpSize > AsymmetricKernels.MaxWarpsPerGroup)
            throw new InvalidOperationException(
                $"groups of {config.GroupDim.X / warpSize} warps exceed the {AsymmetricKernels.MaxWarpsPerGroup} the asymmetric kernel's shared memory is sized for");
        int n = Count;
        long bytesPerQuery = (long)warpSize * Math.Min(k, ((long)n + warpSize - 1) / warpSize) * (sizeof(long) + sizeof(int));
        int chunk = (int)Math.Clamp(Backend.TopKScratchBytes / bytesPerQuery, 1, q);
        using var bw = Backend.Upload<long>(weights);
        using var resultScores = Backend.Allocate<long>(scores.Length);
        using var resultIndices = Backend.Allocate<int>(indices.Length);
        for (int offset = 0; offset < q; offset += chunk)
        {
            int count = Math.Min(chunk, q - offset);
            var (splits, length) = Backend.SplitsFor(count, n, k);
            int laneCapacity = LaneCapacity(k, length, warpSize);
            long lists = (long)count * splits * warpSize * laneCapacity;
            using var scratchScores = Backend.Allocate<long>(lists);
            using var scratchIndices = Backend.Allocate<int>(lists);
            if (splits == 1)
            {
                Backend.AsymmetricTopKKernel(Backend.ForWarps(count),
                    new AsymmetricArgs(bw.View, supports, count, offset, n, Bits, k, laneCapacity, scratchScores.View,
                        scratchIndices.View, resultScores.View, resultIndices.View));
                continue;
            }
            var candidateScores = Backend.Allocate<long>((long)count * splits * k);
            var candidateIndices = Backend.Allocate<int>((long)count * splits * k);
            Backend.AsymmetricTopKKernel(Backend.ForWarps((long)count * splits),
                new AsymmetricArgs(bw.View, supports, count, offset, n, Bits, k, laneCapacity, scratchScores.View,
                    scratchIndices.View, candidateScores.View, candidateIndices.View, splits, length));
            // Merge levels: each keeps k per range of the candidates, until one range (a warp per query) remains.
            int perQuery = splits * k;
            while (true)
            {
                (splits, length) = Backend.SplitsFor(count, perQuery, k);
                laneCapacity = LaneCapacity(k, length, warpSize);
                lists = (long)count * splits * warpSize * laneCapacity;
                using var mergeScores = Backend.Allocate<long>(lists);
                using var mergeIndices = Backend.Allocate<int>(lists);
                bool last = splits == 1;
                var nextScores = last ? resultScores : Backend.Allocate<long>((long)count * splits * k);
                var nextIndices = last ? resultIndices : Backend.Allocate<int>((long)count * splits * k);
                Backend.AsymmetricMergeKernel(Backend.ForWarps((long)count * splits),
                    new PairMergeArgs(count, offset, perQuery, k, laneCapacity, splits, length, candidateScores.View,
                        candidateIndices.View, mergeScores.View, mergeIndices.View, nextScores.View, nextIndices.View));
                candidateScores.Dispose();
                candidateIndices.Dispose();
                if (last) break;
                (candidateScores, candidateIndices, perQuery) = (nextScores, nextIndices, splits * k);
            }
        }
        IlgpuBackend.Download(resultScores, scores);
        IlgpuBackend.Download(resultIndices, indices);
    }

    /// <summary>A lane never holds more entries than k, nor more than the supports it scans in a range.</summary>
    private static int LaneCapacity(int k, int length, int warpSize) => (int)Math.Min(k, ((long)length + warpSize - 1) / warpSize);
}
