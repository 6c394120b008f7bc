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
    private readonly PinnedScratch<double> _partials = new();
    private readonly PinnedScratch<float> _gradA = new(), _gradB = new(), _gradC = new();

    private Nchw _s;
    private float* _x, _pooled, _dPooled, _dx, _scale, _shift, _mean;

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

    private void ForwardImage(int n, int worker)
    {
        var s = _s;
        int oh = s.Height / 2, ow = s.Width / 2;
        for (int c = 0; c < s.Channels; c++)
        {
            float a = _scale[c], b = _shift[c];
            float* x = _x + ((long)n * s.Channels + c) * s.Plane;
            float* y = _pooled + ((long)n * s.Channels + c) * oh * ow;
            for (int i = 0; i < oh; i++)
            {
                float* r0 = x + 2 * i * s.Width, r1 = r0 + s.Width;
                for (int j = 0; j < ow; j++)
                {
                    float m = MathF.Max(
                        MathF.Max(MathF.FusedMultiplyAdd(r0[2 * j], a, b), MathF.FusedMultiplyAdd(r0[2 * j + 1], a, b)),
                        MathF.Max(MathF.FusedMultiplyAdd(r1[2 * j], a, b), MathF.FusedMultiplyAdd(r1[2 * j + 1], a, b)));
                    y[i * ow + j] = m > 0f ? m : 0f;
                }
            }
        }
    }

    /// <summary>
    /// The backward: pass 1 sums, per channel, the gradient reaching each window's first maximum (when positive)
    /// and its product with (x − mean); pass 2 writes dx = B·x + C everywhere plus A·dPooled at those maxima.
    /// </summary>
    public void Backward(in Nchw s, float* x, float* dPooled, float* dx, float* scale, float* shift, float* gamma,
        float* mean, float* invStd, float* dGamma, float* dBeta)
    {
        _s = s;
        _x = x;
        _dPooled = dPooled;
        _dx = dx;
        _scale = scale;
        _shift = shift;
        _mean = mean;
        int workers = _pool.Workers;
        double* partials = _partials.EnsureZeroed(workers * 2 * s.Channels);
        _pool.For(s.Batch, _sumsImage);
        float* a = _gradA.Ensure(s.Channels), b = _gradB.Ensure(s.Channels), cc = _gradC.Ensure(s.Channels);
        double m = (double)s.Batch * s.Plane;
        for (int c = 0; c < s.Channels; c++)
        {
            double s1 = 0, s2 = 0;
            for (int w = 0; w < workers; w++)
            {
                s1 += partials[(w * 2) * s.Channels + c];
                s2 += partials[(w * 2 + 1) * s.Channels + c];
            }
            CpuBatchNorm.SetGradientCoefficients(c, s1, s2, m, gamma, mean, invStd, dGamma, dBeta, a, b, cc);
        }
        _pool.For(s.Batch, _backwardImage);
    }

    private void SumsImage(int n, int worker)
    {
        var s = _s;
        int oh = s.Height / 2, ow = s.Width / 2;
        double* s1 = _partials.Pointer + worker * 2 * s.Channels, s2 = s1 + s.Channels;
        for (int c = 0; c < s.Channels; c++)
        {
            float a = _scale[c], b = _shift[c], mean = _mean[c];
            float* x = _x + ((long)n * s.Channels + c) * s.Plane;
            float* dp = _dPooled + ((long)n * s.Channels + c) * oh * ow;
            float sum = 0f, sumProducts = 0f;
            for (int i = 0; i < oh; i++)
            {
                float* r0 = x + 2 * i * s.Width, r1 = r0 + s.Width;
                for (int j = 0; j < ow; j++)
                {
                    float v0 = MathF.FusedMultiplyAdd(r0[2 * j], a, b), v1 = MathF.FusedMultiplyAdd(r0[2 * j + 1], a, b);
                    float v2 = MathF.FusedMultiplyAdd(r1[2 * j], a, b), v3 = MathF.FusedMultiplyAdd(r1[2 * j + 1], a, b);
                    int k = CpuMaxPool.FirstMax(v0, v1, v2, v3);
                    float best = k switch { 0 => v0, 1 => v1, 2 => v2, _ => v3 };
                    if (best <= 0f) continue;
                    float g = dp[i * ow + j];
                    float xv = (k < 2 ? r0 : r1)[2 * j + (k & 1)];
                    sum += g;
                    sumProducts += g * (xv - mean);
                }
            }
            s1[c] += sum;
            s2[c] += sumProducts;
        }
    }

    private void BackwardImage(int n, int worker)
    {
        var s = _s;
        int oh = s.Height / 2, ow = s.Width / 2;
        float* ga = _gradA.Pointer, gb = _gradB.Pointer, gc = _gradC.Pointer;
        for (int c = 0; c < s.Channels; c++)
        {
            float a = _scale[c], b = _shift[c];
            long offset = ((long)n * s.Channels + c) * s.Plane;
            float* x = _x + offset;
            float* dx = _dx + offset;
            float* dp = _dPooled + ((long)n * s.Channels + c) * oh * ow;
            VectorMath.Affine(x, dx, s.Plane, gb[c], gc[c]);
            float A = ga[c];
            for (int i = 0; i < oh; i++)
            {
                int r0 = 2 * i * s.Width, r1 = r0 + s.Width;
                for (int j = 0; j < ow; j++)
                {
                    float v0 = MathF.FusedMultiplyAdd(x[r0 + 2 * j], a, b), v1 = MathF.FusedMultiplyAdd(x[r0 + 2 * j + 1], a, b);
                    float v2 = MathF.FusedMultiplyAdd(x[r1 + 2 * j], a, b), v3 = MathF.FusedMultiplyAdd(x[r1 + 2 * j + 1], a, b);
                    int k = CpuMaxPool.FirstMax(v0, v1, v2, v3);
                    float best = k switch { 0 => v0, 1 => v1, 2 => v2, _ => v3 };
                    if (best <= 0f) continue;
                    int at = (k < 2 ? r0 : r1) + 2 * j + (k & 1);
                    dx[at] = MathF.FusedMultiplyAdd(A, dp[i * ow + j], dx[at]);
                }
            }
        }
    }
}
