namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// Batch norm + ReLU + 2×2 max-pool fused, on the CPU. The forward reads the convolution output once (after the
/// statistics) and writes only the pooled tensor; the backward recomputes each window's normalised values to find
/// the first maximum, so neither the normalised nor the rectified tensor is ever stored. The normalised value is
/// fma(x, scale, shift) exactly as in <see cref="CpuBatchNorm"/>, so the fused and unfused forwards agree bit for bit.
/// </summary>
internal sealed unsafe class CpuBatchNormReluPool
{
    private readonly WorkerPool _pool;
    private readonly CpuBatchNorm _bn;
    private readonly WorkerPool.Body _forwardImage, _sumsImage, _backwardImage;
    private readonly PinnedScratch<double> _partials = new(), _channelSums = new();
    private readonly PinnedScratch<float> _gradA = new(), _gradB = new(), _gradC = new();

    private Nchw _s;
    private float* _x, _pooled, _dPooled, _dx, _scale, _shift, _mean;
    private ConvRecompute? _recompute; // when set, each image's x is recomputed from the convolution instead of read
    private RecomputedConvGradient? _convGradient; // when set, the sums pass also gathers the convolution's weight gradient sums

    /// <summary>
    /// The calls that follow read image n's input as <paramref name="recompute"/> computes it, not from x; null: from
    /// x again.
    /// </summary>
    public void ReadThrough(ConvRecompute? recompute) => _recompute = recompute;

    /// <summary>
    /// The sums passes that follow (<see cref="Coefficients"/>) also feed each image to <paramref name="gradient"/>
    /// (which needs the images recomputed: <see cref="ReadThrough"/>); null: they do not.
    /// </summary>
    public void GatherConvGradient(RecomputedConvGradient? gradient) => _convGradient = gradient;

    /// <summary>After <see cref="Coefficients"/>: per channel, Σg and Σg·(x_win − mean), as it passed them to the coefficients.</summary>
    public double* ChannelSums => _channelSums.Pointer;

    private float* Input(int n, int worker) =>
        _recompute is null ? _x + (long)n * _s.Channels * _s.Plane : _recompute.Image(n, worker);

    public CpuBatchNormReluPool(WorkerPool pool, CpuBatchNorm bn)
    {
        _pool = pool;
        _bn = bn;
        _forwardImage = ForwardImage;
        _sumsImage = SumsImage;
        _backwardImage = BackwardImage;
    }

    public void Forward(in Nchw s, float* x, float* pooled, float* scale, float* shift)
    {
        _s = s;
        _x = x;
        _pooled = pooled;
        _scale = scale;
        _shift = shift;
        _pool.For(s.Batch, _forwardImage);
    }

    private void ForwardImage(int n, int worker) =>
        PoolImages.Forward(_s, Input(n, worker), _pooled + (long)n * _s.Channels * (_s.Height / 2 * (_s.Width / 2)),
            _scale, _shift, relu: true);

    /// <summary>
    /// The backward: pass 1 sums, per channel, the gradient reaching each window's first maximum (when positive)
    /// and its product with (x − mean); pass 2 writes dx = B·x + C everywhere plus A·dPooled at those maxima.
    /// </summary>
    public void Backward(in Nchw s, float* x, float* dPooled, float* dx, float* scale, float* shift, float* gamma,
        float* mean, float* invStd, float* dGamma, float* dBeta)
    {
        Coefficients(s, x, dPooled, scale, shift, gamma, mean, invStd, dGamma, dBeta);
        _dx = dx;
        _pool.For(s.Batch, _backwardImage);
    }

    /// <summary>Pass 1 of the backward: sets the per-channel A, B, C and accumulates the γ/β gradients.</summary>
    public void Coefficients(in Nchw s, float* x, float* dPooled, float* scale, float* shift, float* gamma, float* mean,
        float* invStd, float* dGamma, float* dBeta)
    {
        _s = s;
        _x = x;
        _dPooled = dPooled;
        _scale = scale;
        _shift = shift;
        _mean = mean;
        int workers = _pool.Workers;
        double* partials = _partials.EnsureZeroed(workers * 2 * s.Channels);
        _pool.For(s.Batch, _sumsImage);
        float* a = _gradA.Ensure(s.Channels), b = _gradB.Ensure(s.Channels), cc = _gradC.Ensure(s.Channels);
        double* sums = _channelSums.Ensure(2 * s.Channels);
        double m = (double)s.Batch * s.Plane;
        for (int c = 0; c < s.Channels; c++)
        {
            double s1 = 0, s2 = 0;
            for (int w = 0; w < workers; w++)
            {
                s1 += partials[(w * 2) * s.Channels + c];
                s2 += partials[(w * 2 + 1) * s.Channels + c];
            }
            sums[2 * c] = s1;
            sums[2 * c + 1] = s2;
            CpuBatchNorm.SetGradientCoefficients(c, s1, s2, m, gamma, mean, invStd, dGamma, dBeta, a, b, cc);
        }
    }

    private void SumsImage(int n, int worker)
    {
        var s = _s;
        int pooled = s.Height / 2 * (s.Width / 2);
        double* s1 = _partials.Pointer + worker * 2 * s.Channels, s2 = s1 + s.Channels;
        float* image = Input(n, worker);
        if (_convGradient is not null)
        {
            // the convolution's weight-gradient sums route the pooled gradient too: both sums come from that pass
            _convGradient.AddImage(worker, image, _dPooled + (long)n * s.Channels * pooled, _scale, _shift, _mean, s1, s2);
            return;
        }
        for (int c = 0; c < s.Channels; c++)
        {
            long plane = (long)n * s.Channels + c;
            PoolRows.Sums(image + (long)c * s.Plane, _dPooled + plane * pooled, s.Height, s.Width, _scale[c], _shift[c], _mean[c],
                relu: true, out float sum, out float sumProducts);
            s1[c] += sum;
            s2[c] += sumProducts;
        }
    }

    private void BackwardImage(int n, int worker) =>
        BackwardImageInto(n, worker, _dx + (long)n * _s.Channels * _s.Plane);

    /// <summary>Pass 2 for image n (after <see cref="Coefficients"/>): its input gradient, C × H × W, into dx.</summary>
    public void BackwardImageInto(int n, int worker, float* dx) =>
        PoolImages.Backward(_s, n, Input(n, worker), _dPooled, dx, _scale, _shift, relu: true, _gradA.Pointer,
            _gradB.Pointer, _gradC.Pointer);
}
