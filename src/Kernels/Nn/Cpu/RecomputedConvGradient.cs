using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// The weight and bias gradients of a recomputed convolution (<see cref="ConvRecompute"/>) whose input needs no
/// gradient — Conv-4's first block, whose input is the image — gathered during batch norm's sums pass instead of in
/// a pass of their own.
///
/// Why it works: the fused block's output gradient is, per channel k, dC = A·g + B·y + C, where y is the convolution's
/// output, g the pooled gradient routed to each window's first maximum (zero where the ReLU is closed), and A, B, C
/// batch norm's backward coefficients, known only once the sums pass is over (<see cref="CpuBatchNorm"/>). The weight
/// gradient is linear in dC, so with X_t the input shifted to tap t and sums over every image and position
/// (<see cref="ConvInputMoments"/>),
///
///   dW[k][t] = A·Σ g·X_t + B·Σ y·X_t + C·Σ X_t,   and   Σ y·X_t = Σ_u W[k][u]·Σ X_u·X_t + bias_k·Σ X_t,
///
/// so the sums pass only has to add Σ g·X_t (nine multiply-adds a value for a 3×3 kernel on one channel) and the
/// input's own moments Σ X_u·X_t and Σ X_t (per image, not per channel). The pass that produced dC — a fourth
/// recomputation of the convolution, its pooled-gradient routing and the direct path's weight-gradient products —
/// is gone. The combination is done in double: B·Σ y·X_t and C·Σ X_t nearly cancel (batch norm's backward takes out
/// the gradient's mean and its component along y), which float32 could not afford. (The forward's statistics come
/// from the same moments: <see cref="RecomputedConvStatistics"/>.)
///
/// Each worker keeps its own sums (double, added image by image from float32 vector sums over one image), added in
/// worker order at the end, so the result is deterministic for a given thread count. <c>CpuFusedBlockTests</c>
/// checks it against the produced-gradient path and the unfused layers. The GPU keeps its produced-gradient path.
/// </summary>
internal sealed unsafe class RecomputedConvGradient
{
    private const int Lanes = 8;

    private readonly Worker[] _workers;
    private readonly PinnedScratch<int> _offsets = new();
    private readonly PinnedScratch<double> _routed = new(), _gram = new(), _inputSums = new(); // the workers' sums, added
    private ConvRecompute _recompute = null!;
    private Conv2dShape _s;
    private int _taps, _call;

    public RecomputedConvGradient(int workers)
    {
        _workers = new Worker[workers];
        for (int i = 0; i < workers; i++) _workers[i] = new Worker();
    }

    /// <summary>Starts the sums of one backward pass over <paramref name="s"/>, whose images <paramref name="recompute"/> computes.</summary>
    public void Begin(in Conv2dShape s, ConvRecompute recompute)
    {
        _s = s;
        _recompute = recompute;
        _taps = s.Taps;
        _call++;
    }

    /// <summary>
    /// Adds image n: its output <paramref name="image"/> (as just recomputed, so <see cref="ConvRecompute.PaddedInput"/>
    /// holds its input) and its pooled gradient (Cout planes), through batch norm's <paramref name="scale"/> and
    /// <paramref name="shift"/> to route it. The routing also gives batch norm's backward sums (Σg and
    /// Σg·(x_win − <paramref name="mean"/>) per channel, as <see cref="PoolRows.Sums"/> computes them), which are added
    /// to <paramref name="channelSums"/> and <paramref name="channelProducts"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddImage(int worker, float* image, float* dPooled, float* scale, float* shift, float* mean, double* channelSums,
        double* channelProducts)
    {
        var s = _s;
        var w = _workers[worker];
        if (w.Call != _call)
        {
            w.Call = _call;
            w.Routed.EnsureZeroed(s.OutChannels * _taps);
            w.Gram.EnsureZeroed(_taps * _taps);
            w.InputSums.EnsureZeroed(_taps);
            // two routed planes, their columns past OW and their tails zero (the routing never writes them)
            w.Plane.EnsureZeroed(2 * FlatPositions(s, _recompute.PaddedWidth));
            _recompute.TapOffsets(_offsets.Ensure(_taps));
        }
        float* input = _recompute.PaddedInput(worker);
        int stride = _recompute.PaddedWidth, positions = FlatPositions(s, stride);
        float* routed0 = w.Plane.Pointer, routed1 = routed0 + positions;
        int* offsets = _offsets.Pointer;
        int k = 0;
        if (_taps == 9)
            for (; k + 2 <= s.OutChannels; k += 2)
            {
                Route(k, image, dPooled, routed0, stride, scale, shift, mean, channelSums, channelProducts);
                Route(k + 1, image, dPooled, routed1, stride, scale, shift, mean, channelSums, channelProducts);
                Correlate9Pair(routed0, routed1, input, offsets, positions, w.Routed.Pointer + (long)k * _taps);
            }
        for (; k < s.OutChannels; k++)
        {
            Route(k, image, dPooled, routed0, stride, scale, shift, mean, channelSums, channelProducts);
            Correlate(routed0, input, offsets, positions, w.Routed.Pointer + (long)k * _taps);
        }
        int length = _recompute.PaddedLength;
        ConvInputMoments.Add(input, length, w.Work.Ensure(length), offsets, _taps, s.OutHeight, s.OutWidth,
            _recompute.PaddedWidth, w.Gram.Pointer, w.InputSums.Pointer);
    }

    /// <summary>
    /// The routed planes are laid out as the padded input's rows (<paramref name="stride"/> = its width; the columns
    /// past OW stay zero), so output position p = r·stride + c reads tap t at PaddedInput[p + offset_t] for every p:
    /// the correlation runs over one flat run of OH·stride positions, whole vectors, no row ends.
    /// </summary>
    private static int FlatPositions(in Conv2dShape s, int stride) => (s.OutHeight * stride + Lanes - 1) / Lanes * Lanes;

    /// <summary>Channel k's routed gradient into <paramref name="routed"/>, its batch-norm sums added.</summary>
    private void Route(int k, float* image, float* dPooled, float* routed, int stride, float* scale, float* shift, float* mean,
        double* channelSums, double* channelProducts)
    {
        var s = _s;
        int plane = s.OutHeight * s.OutWidth, pooled = s.OutHeight / 2 * (s.OutWidth / 2);
        PoolRows.Routed(image + (long)k * plane, dPooled + (long)k * pooled, routed, stride, s.OutHeight, s.OutWidth,
            scale[k], shift[k], mean[k], out float sum, out float sumProducts);
        channelSums[k] += sum;
        channelProducts[k] += sumProducts;
    }

    /// <summary>
    /// dWeight += A·Σ g·X + B·Σ y·X + C·ΣX and dBias += A·Σg + B·Σy + C·m per output channel, with A, B, C from the
    /// per-channel sums s1 = Σg and s2 = Σ g·(y_win − mean) (<paramref name="channelSums"/>: s1 then s2 per channel,
    /// as <see cref="CpuBatchNorm.SetGradientCoefficients"/> takes them) over m values.
    /// </summary>
    public void Finish(float* weight, float* bias, double* channelSums, double m, float* gamma, float* mean, float* invStd,
        float* dWeight, float* dBias)
    {
        var s = _s;
        int taps = _taps;
        double* routed = _routed.EnsureZeroed(s.OutChannels * taps);
        double* gram = _gram.EnsureZeroed(taps * taps);
        double* inputSums = _inputSums.EnsureZeroed(taps);
        foreach (var w in _workers)
        {
            if (w.Call != _call) continue;
            for (int i = 0; i < s.OutChannels * taps; i++) routed[i] += w.Routed.Pointer[i];
            for (int i = 0; i < taps * taps; i++) gram[i] += w.Gram.Pointer[i];
            for (int i = 0; i < taps; i++) inputSums[i] += w.InputSums.Pointer[i];
        }
        ConvInputMoments.Symmetrise(gram, taps);

        for (int k = 0; k < s.OutChannels; k++)
        {
            double s1 = channelSums[2 * k], s2 = channelSums[2 * k + 1];
            double inv = invStd[k], g = gamma[k];
            double a = g * inv, b = -g * inv * inv * inv * s2 / m, c = -a * s1 / m - b * mean[k];
            double bk = bias == null ? 0 : bias[k];
            float* wk = weight + (long)k * taps;
            if (dWeight != null)
                for (int t = 0; t < taps; t++)
                {
                    double yx = bk * inputSums[t];
                    for (int u = 0; u < taps; u++) yx += wk[u] * gram[u * taps + t];
                    dWeight[(long)k * taps + t] += (float)(a * routed[k * taps + t] + b * yx + c * inputSums[t]);
                }
            if (dBias != null)
            {
                double y = bk * m;
                for (int u = 0; u < taps; u++) y += wk[u] * inputSums[u];
                dBias[k] += (float)(a * s1 + b * y + c * m);
            }
        }
    }

    // ------------------------------------------------------------------ sums over one image

    /// <summary>sums[t] += Σ_p g[p]·X_t[p] over the output positions, for a 3×3 kernel on one channel (nine accumulators in registers).</summary>
    /// <summary>
    /// sums0[t] += Σ_p g0[p]·X_t[p] and sums1[t] += Σ_p g1[p]·X_t[p] for a 3×3 kernel on one input channel, two
    /// output channels at once: each position's nine shifted input vectors are loaded once for both, so the loop
    /// runs at the multiply-add units' rate instead of waiting on loads (one channel took ten loads per nine
    /// multiply-adds). Float32 accumulators per lane, summed into double per image.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Correlate9Pair(float* g0, float* g1, float* input, int* offsets, int positions, double* sums)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default,
            a6 = default, a7 = default, a8 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default,
            b6 = default, b7 = default, b8 = default;
        float* x0 = input + offsets[0], x1 = input + offsets[1], x2 = input + offsets[2], x3 = input + offsets[3],
            x4 = input + offsets[4], x5 = input + offsets[5], x6 = input + offsets[6], x7 = input + offsets[7],
            x8 = input + offsets[8];
        for (int p = 0; p < positions; p += Lanes)
        {
            var u = Vector256.Load(g0 + p);
            var v = Vector256.Load(g1 + p);
            var x = Vector256.Load(x0 + p); a0 = Vector256.FusedMultiplyAdd(u, x, a0); b0 = Vector256.FusedMultiplyAdd(v, x, b0);
            x = Vector256.Load(x1 + p); a1 = Vector256.FusedMultiplyAdd(u, x, a1); b1 = Vector256.FusedMultiplyAdd(v, x, b1);
            x = Vector256.Load(x2 + p); a2 = Vector256.FusedMultiplyAdd(u, x, a2); b2 = Vector256.FusedMultiplyAdd(v, x, b2);
            x = Vector256.Load(x3 + p); a3 = Vector256.FusedMultiplyAdd(u, x, a3); b3 = Vector256.FusedMultiplyAdd(v, x, b3);
            x = Vector256.Load(x4 + p); a4 = Vector256.FusedMultiplyAdd(u, x, a4); b4 = Vector256.FusedMultiplyAdd(v, x, b4);
            x = Vector256.Load(x5 + p); a5 = Vector256.FusedMultiplyAdd(u, x, a5); b5 = Vector256.FusedMultiplyAdd(v, x, b5);
            x = Vector256.Load(x6 + p); a6 = Vector256.FusedMultiplyAdd(u, x, a6); b6 = Vector256.FusedMultiplyAdd(v, x, b6);
            x = Vector256.Load(x7 + p); a7 = Vector256.FusedMultiplyAdd(u, x, a7); b7 = Vector256.FusedMultiplyAdd(v, x, b7);
            x = Vector256.Load(x8 + p); a8 = Vector256.FusedMultiplyAdd(u, x, a8); b8 = Vector256.FusedMultiplyAdd(v, x, b8);
        }
        sums[0] += Vector256.Sum(a0); sums[1] += Vector256.Sum(a1); sums[2] += Vector256.Sum(a2);
        sums[3] += Vector256.Sum(a3); sums[4] += Vector256.Sum(a4); sums[5] += Vector256.Sum(a5);
        sums[6] += Vector256.Sum(a6); sums[7] += Vector256.Sum(a7); sums[8] += Vector256.Sum(a8);
        sums[9] += Vector256.Sum(b0); sums[10] += Vector256.Sum(b1); sums[11] += Vector256.Sum(b2);
        sums[12] += Vector256.Sum(b3); sums[13] += Vector256.Sum(b4); sums[14] += Vector256.Sum(b5);
        sums[15] += Vector256.Sum(b6); sums[16] += Vector256.Sum(b7); sums[17] += Vector256.Sum(b8);
    }

    /// <summary>sums[t] += Σ_p g[p]·X_t[p] for any kernel (one channel at a time).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Correlate(float* g, float* input, int* offsets, int positions, double* sums)
    {
        for (int t = 0; t < _taps; t++)
        {
            var acc = Vector256<float>.Zero;
            float* x = input + offsets[t];
            for (int p = 0; p < positions; p += Lanes)
                acc = Vector256.FusedMultiplyAdd(Vector256.Load(g + p), Vector256.Load(x + p), acc);
            sums[t] += Vector256.Sum(acc);
        }
    }

    private sealed class Worker
    {
        public int Call;
        public readonly PinnedScratch<double> Routed = new();     // [k][t]: Σ g·X_t
        public readonly PinnedScratch<double> Gram = new();       // [t][u], u ≥ t: Σ X_t·X_u
        public readonly PinnedScratch<double> InputSums = new();  // [t]: Σ X_t
        public readonly PinnedScratch<float> Plane = new();       // one channel's routed gradient
        public readonly PinnedScratch<double> Work = new();       // the padded input in double
    }
}
