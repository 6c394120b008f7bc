namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// Batch norm's training statistics of a convolution with few taps (<see cref="ConvRecompute.Applies"/>: Conv-4's first
/// block) from its input's moments (<see cref="ConvInputMoments"/>) instead of from its output: with y = w·X + b and a
/// per-channel shift s near the channel's values,
///
///   Σ(y − s) = w·ΣX + (b − s)·m,   Σ(y − s)² = wᵀ(Σ X Xᵀ)w + 2(b − s)·w·ΣX + (b − s)²·m,
///
/// over m = images × positions. The moments cost 45 products a position for a 3×3 kernel on one channel, against the
/// output's 64 channels × 9: the statistics pass no longer runs the convolution at all. In double throughout, so the
/// subtraction that leaves the variance costs no precision that matters (<c>CpuFusedBlockTests</c>, with an input
/// offset of 50). Workers sum their images' moments in their own buffers, added in worker order: deterministic for
/// a given thread count.
/// </summary>
internal sealed unsafe class RecomputedConvStatistics
{
    private readonly WorkerPool _pool;
    private readonly PinnedScratch<double>[] _gram, _sums, _work;
    private readonly PinnedScratch<double> _totalGram = new(), _totalSums = new();
    private readonly PinnedScratch<int> _offsets = new();
    private readonly WorkerPool.Body _addImage;
    private readonly bool[] _used;
    private ConvRecompute _recompute = null!;
    private Conv2dShape _s;

    public RecomputedConvStatistics(WorkerPool pool)
    {
        _pool = pool;
        _gram = new PinnedScratch<double>[pool.Workers];
        _sums = new PinnedScratch<double>[pool.Workers];
        _work = new PinnedScratch<double>[pool.Workers];
        _used = new bool[pool.Workers];
        for (int i = 0; i < pool.Workers; i++)
        {
            _gram[i] = new PinnedScratch<double>();
            _sums[i] = new PinnedScratch<double>();
            _work[i] = new PinnedScratch<double>();
        }
        _addImage = AddImage;
    }

    /// <summary>
    /// stats[2k] = Σ(y − shift[k]) and stats[2k + 1] = Σ(y − shift[k])² over the batch, as <see cref="CpuConv2d.Forward"/>
    /// gives them; <paramref name="recompute"/> must have begun this convolution (its input).
    /// </summary>
    public void Compute(in Conv2dShape s, ConvRecompute recompute, float* weight, float* bias, float* shift, double* stats)
    {
        _s = s;
        _recompute = recompute;
        int taps = s.Taps;
        recompute.TapOffsets(_offsets.Ensure(taps));
        Array.Clear(_used);
        _pool.For(s.Batch, _addImage);
        double* gram = _totalGram.EnsureZeroed(taps * taps), sums = _totalSums.EnsureZeroed(taps);
        for (int w = 0; w < _used.Length; w++)
        {
            if (!_used[w]) continue;
            for (int i = 0; i < taps * taps; i++) gram[i] += _gram[w].Pointer[i];
            for (int i = 0; i < taps; i++) sums[i] += _sums[w].Pointer[i];
        }
        ConvInputMoments.Symmetrise(gram, taps);
        double m = (double)s.Batch * s.OutHeight * s.OutWidth;
        for (int k = 0; k < s.OutChannels; k++)
        {
            float* wk = weight + (long)k * taps;
            double offset = (bias == null ? 0 : bias[k]) - shift[k];
            double ws = 0, wgw = 0;
            for (int t = 0; t < taps; t++)
            {
                ws += wk[t] * sums[t];
                double row = 0;
                for (int u = 0; u < taps; u++) row += gram[t * taps + u] * wk[u];
                wgw += wk[t] * row;
            }
            stats[2 * k] = ws + offset * m;
            stats[2 * k + 1] = wgw + 2 * offset * ws + offset * offset * m;
        }
    }

    private void AddImage(int n, int worker)
    {
        var s = _s;
        int taps = s.Taps;
        if (!_used[worker])
        {
            _used[worker] = true;
            _gram[worker].EnsureZeroed(taps * taps);
            _sums[worker].EnsureZeroed(taps);
        }
        float* padded = _recompute.PadInput(n, worker);
        int length = _recompute.PaddedLength;
        ConvInputMoments.Add(padded, length, _work[worker].Ensure(length), _offsets.Pointer, taps, s.OutHeight, s.OutWidth,
            _recompute.PaddedWidth, _gram[worker].Pointer, _sums[worker].Pointer);
    }
}
