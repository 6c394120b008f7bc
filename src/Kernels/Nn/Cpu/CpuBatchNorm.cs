namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// Batch normalisation over NCHW on the CPU. Statistics are one pass per channel: per image the sums of (x − k) and
/// (x − k)² in float lanes, with k the channel's first value (so the variance suffers no cancellation), summed over
/// images in double. Normalisation is y = fma(x, γ·invStd, β − mean·γ·invStd), one image per work item.
/// </summary>
internal sealed unsafe class CpuBatchNorm
{
    private readonly WorkerPool _pool;
    private readonly WorkerPool.Body _statisticsChannel, _applyImage, _gradientChannel, _backwardImage;
    private readonly PinnedScratch<float> _scale = new(), _shift = new(), _gradA = new(), _gradB = new(), _gradC = new();

    private Nchw _s;
    private float* _x, _y, _dy, _dx, _mean, _invStd, _runMean, _runVar, _gamma, _dGamma, _dBeta;
    private float _momentum, _epsilon;
    private bool _updateRunning;

    public CpuBatchNorm(WorkerPool pool)
    {
        _pool = pool;
        _statisticsChannel = StatisticsChannel;
        _applyImage = ApplyImage;
        _gradientChannel = GradientChannel;
        _backwardImage = BackwardImage;
    }

    /// <summary>Batch mean and 1/√(var+ε) per channel, and the running-statistics update.</summary>
    public void Statistics(in Nchw s, float* x, float* mean, float* invStd, float* runMean, float* runVar, float momentum,
        float epsilon, bool updateRunning = true)
    {
        _s = s;
        _x = x;
        _mean = mean;
        _invStd = invStd;
        _runMean = runMean;
        _runVar = runVar;
        _momentum = momentum;
        _epsilon = epsilon;
        _updateRunning = updateRunning;
        _pool.For(s.Channels, _statisticsChannel);
    }

    private void StatisticsChannel(int c, int worker)
    {
        var s = _s;
        int plane = s.Plane;
        float k = _x[(long)c * plane];
        double s1 = 0, s2 = 0;
        for (int n = 0; n < s.Batch; n++)
        {
            var (a, b) = VectorMath.ShiftedSums(_x + ((long)n * s.Channels + c) * plane, plane, k);
            s1 += a;
            s2 += b;
        }
        Finish(c, s1, s2, (double)s.Batch * plane, k, _mean, _invStd, _runMean, _runVar, _momentum, _epsilon, _updateRunning);
    }

    /// <summary>
    /// From S1 = Σ(x − k) and S2 = Σ(x − k)² over m values of channel c: the batch mean and 1/√(var + ε) (biased
    /// variance), and the running-statistics update with the unbiased variance.
    /// </summary>
    internal static void Finish(int c, double s1, double s2, double m, double k, float* mean, float* invStd, float* runMean,
        float* runVar, float momentum, float epsilon, bool updateRunning)
    {
        double shiftMean = s1 / m;
        double variance = Math.Max(0.0, s2 / m - shiftMean * shiftMean);
        double mu = k + shiftMean;
        mean[c] = (float)mu;
        invStd[c] = (float)(1.0 / Math.Sqrt(variance + epsilon));
        if (updateRunning)
        {
            double unbiased = variance * m / (m - 1);
            runMean[c] = (float)((1 - momentum) * runMean[c] + momentum * mu);
            runVar[c] = (float)((1 - momentum) * runVar[c] + momentum * unbiased);
        }
    }

    /// <summary>The per-channel scale and shift set by the last <see cref="ScaleShift"/> or <see cref="InferenceScaleShift"/>.</summary>
    public float* Scale => _scale.Pointer;

    public float* Shift => _shift.Pointer;

    /// <summary>Per-channel scale γ·invStd and shift β − mean·scale, into <see cref="Scale"/> and <see cref="Shift"/>.</summary>
    public void ScaleShift(int channels, float* gamma, float* beta, float* mean, float* invStd)
    {
        float* scale = _scale.Ensure(channels), shift = _shift.Ensure(channels);
        for (int c = 0; c < channels; c++)
        {
            scale[c] = gamma[c] * invStd[c];
            shift[c] = beta[c] - mean[c] * scale[c];
        }
    }

    /// <summary>The same from the running statistics (evaluation mode).</summary>
    public void InferenceScaleShift(int channels, float* gamma, float* beta, float* runMean,
        float* runVar, float epsilon)
    {
        float* scale = _scale.Ensure(channels), shift = _shift.Ensure(channels);
        for (int c = 0; c < channels; c++)
        {
            scale[c] = (float)(gamma[c] / Math.Sqrt((double)runVar[c] + epsilon));
            shift[c] = beta[c] - runMean[c] * scale[c];
        }
    }

    public void Apply(in Nchw s, float* x, float* y)
    {
        _s = s;
        _x = x;
        _y = y;
        _pool.For(s.Batch, _applyImage);
    }

    private void ApplyImage(int n, int worker)
    {
        var s = _s;
        float* scale = _scale.Pointer, shift = _shift.Pointer;
        for (int c = 0; c < s.Channels; c++)
        {
            long offset = ((long)n * s.Channels + c) * s.Plane;
            VectorMath.Affine(_x + offset, _y + offset, s.Plane, scale[c], shift[c]);
        }
    }

    /// <summary>
    /// dx = γ·invStd·(dy − Σdy/m − (x−mean)·invStd²·Σdy(x−mean)/m) with m = N·H·W, written as dx = A·dy + B·x + C
    /// per channel; dγ += invStd·Σdy(x−mean), dβ += Σdy.
    /// </summary>
    public void Backward(in Nchw s, float* x, float* dy, float* dx, float* gamma, float* mean, float* invStd, float* dGamma,
        float* dBeta)
    {
        _s = s;
        _x = x;
        _dy = dy;
        _dx = dx;
        _gamma = gamma;
        _mean = mean;
        _invStd = invStd;
        _dGamma = dGamma;
        _dBeta = dBeta;
        _gradA.Ensure(s.Channels);
        _gradB.Ensure(s.Channels);
        _gradC.Ensure(s.Channels);
        _pool.For(s.Channels, _gradientChannel);
        _pool.For(s.Batch, _backwardImage);
    }

    private void GradientChannel(int c, int worker)
    {
        var s = _s;
        int plane = s.Plane;
        double s1 = 0, s2 = 0;
        for (int n = 0; n < s.Batch; n++)
        {
            long offset = ((long)n * s.Channels + c) * plane;
            var (a, b) = VectorMath.GradientSums(_dy + offset, _x + offset, plane, _mean[c]);
            s1 += a;
            s2 += b;
        }
        SetGradientCoefficients(c, s1, s2, (double)s.Batch * plane, _gamma, _mean, _invStd, _dGamma, _dBeta,
            _gradA.Pointer, _gradB.Pointer, _gradC.Pointer);
    }

    /// <summary>From S1 = Σdy and S2 = Σdy·(x−mean) over m values: the γ/β gradients and the per-channel A, B, C.</summary>
    internal static void SetGradientCoefficients(int c, double s1, double s2, double m, float* gamma, float* mean,
        float* invStd, float* dGamma, float* dBeta, float* a, float* b, float* cc)
    {
        double inv = invStd[c], g = gamma[c];
        dGamma[c] += (float)(inv * s2);
        dBeta[c] += (float)s1;
        double ca = g * inv;
        double cb = -g * inv * inv * inv * s2 / m;
        a[c] = (float)ca;
        b[c] = (float)cb;
        cc[c] = (float)(-ca * s1 / m - cb * mean[c]);
    }

    private void BackwardImage(int n, int worker)
    {
        var s = _s;
        float* a = _gradA.Pointer, b = _gradB.Pointer, cc = _gradC.Pointer;
        for (int c = 0; c < s.Channels; c++)
        {
            long offset = ((long)n * s.Channels + c) * s.Plane;
            VectorMath.Affine2(_dy + offset, _x + offset, _dx + offset, s.Plane, a[c], b[c], cc[c]);
        }
    }
}
