using System.Runtime.Intrinsics;
using Lshk.Kernels.Cpu;

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
    /// <paramref name="shift"/> to route it.
    /// </summary>
    public void AddImage(int worker, float* image, float* dPooled, float* scale, float* shift)
    {
        var s = _s;
        var w = _workers[worker];
        int plane = s.OutHeight * s.OutWidth, pooled = s.OutHeight / 2 * (s.OutWidth / 2);
        if (w.Call != _call)
        {
            w.Call = _call;
            w.Routed.EnsureZeroed(s.OutChannels * _taps);
            w.Gram.EnsureZeroed(_taps * _taps);
            w.InputSums.EnsureZeroed(_taps);
            w.Plane.Ensure(plane);
            _recompute.TapOffsets(_offsets.Ensure(_taps));
        }
        float* input = _recompute.PaddedInput(worker), routed = w.Plane.Pointer;
        int* offsets = _offsets.Pointer;
        for (int k = 0; k < s.OutChannels; k++)
        {
            // g as a dense plane: PoolRows' backward with A = 1, B = C = 0 writes it at the maxima and zero elsewhere
            PoolRows.Backward(image + (long)k * plane, dPooled + (long)k * pooled, routed, s.OutHeight, s.OutWidth,
                scale[k], shift[k], relu: true, 1f, 0f, 0f);
            double* sums = w.Routed.Pointer + (long)k * _taps;
            if (_taps == 9) Correlate9(routed, input, offsets, sums);
            else Correlate(routed, input, offsets, sums);
        }
        int length = _recompute.PaddedLength;
        ConvInputMoments.Add(input, length, w.Work.Ensure(length), offsets, _taps, s.OutHeight, s.OutWidth,
            _recompute.PaddedWidth, w.Gram.Pointer, w.InputSums.Pointer);
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
    private void Correlate9(float* g, float* input, int* offsets, double* sums)
    {
        int oh = _s.OutHeight, ow = _s.OutWidth, wp = _recompute.PaddedWidth;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default,
            a6 = default, a7 = default, a8 = default;
        int o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3], o4 = offsets[4], o5 = offsets[5],
            o6 = offsets[6], o7 = offsets[7], o8 = offsets[8];
        for (int r = 0; r < oh; r++)
        {
            float* x = input + r * wp;
            for (int j = 0; j < ow; j += Lanes)
            {
                // lanes past the row end read the next row's input; g is zero there
                var v = j + Lanes <= ow ? Vector256.Load(g + r * ow + j) : Masked256.LoadFirst(g + r * ow + j, ow - j);
                float* p = x + j;
                a0 = Vector256.FusedMultiplyAdd(v, Vector256.Load(p + o0), a0);
                a1 = Vector256.FusedMultiplyAdd(v, Vector256.Load(p + o1), a1);
                a2 = Vector256.FusedMultiplyAdd(v, Vector256.Load(p + o2), a2);
                a3 = Vector256.FusedMultiplyAdd(v, Vector256.Load(p + o3), a3);
                a4 = Vector256.FusedMultiplyAdd(v, Vector256.Load(p + o4), a4);
                a5 = Vector256.FusedMultiplyAdd(v, Vector256.Load(p + o5), a5);
                a6 = Vector256.FusedMultiplyAdd(v, Vector256.Load(p + o6), a6);
                a7 = Vector256.FusedMultiplyAdd(v, Vector256.Load(p + o7), a7);
                a8 = Vector256.FusedMultiplyAdd(v, Vector256.Load(p + o8), a8);
            }
        }
        sums[0] += Vector256.Sum(a0); sums[1] += Vector256.Sum(a1); sums[2] += Vector256.Sum(a2);
        sums[3] += Vector256.Sum(a3); sums[4] += Vector256.Sum(a4); sums[5] += Vector256.Sum(a5);
        sums[6] += Vector256.Sum(a6); sums[7] += Vector256.Sum(a7); sums[8] += Vector256.Sum(a8);
    }

    /// <summary>As <see cref="Correlate9"/> for any number of taps, one tap at a time.</summary>
    private void Correlate(float* g, float* input, int* offsets, double* sums)
    {
        int oh = _s.OutHeight, ow = _s.OutWidth, wp = _recompute.PaddedWidth;
        for (int t = 0; t < _taps; t++)
        {
            var acc = Vector256<float>.Zero;
            for (int r = 0; r < oh; r++)
                for (int j = 0; j < ow; j += Lanes)
                {
                    var v = j + Lanes <= ow ? Vector256.Load(g + r * ow + j) : Masked256.LoadFirst(g + r * ow + j, ow - j);
                    acc = Vector256.FusedMultiplyAdd(v, Vector256.Load(input + r * wp + j + offsets[t]), acc);
                }
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
