using ILGPU;
using Lshk.Kernels.Gpu;

namespace Lshk.Kernels.Nn.Gpu;

internal readonly struct NchwDims(Nchw s)
{
    public readonly int N = s.Batch, C = s.Channels, H = s.Height, W = s.Width;
    public int Plane => H * W;
}

/// <summary>
/// Per-(image, channel) partial sums of one plane: Partial[n·C + c] and Partial[N·C + n·C + c]. X is the plane's
/// tensor; Other is dy (batch-norm backward) or the pooled gradient (fused backward); Center is the per-channel value
/// subtracted (the mean), unused for the statistics, which subtract the channel's first value.
/// </summary>
internal readonly record struct PlaneSumsArgs(NchwDims D, ArrayView<float> X, ArrayView<float> Other, ArrayView<float> Center,
    ArrayView<float> Partial);

/// <summary>Per-channel batch-norm buffers and the scale/shift (Affine[c], Affine[C + c]) or coefficients A, B, C (Coeff[c], [C + c], [2C + c]).</summary>
internal readonly record struct ChannelArgs(NchwDims D, ArrayView<float> Partial, ArrayView<float> X, ArrayView<float> Gamma,
    ArrayView<float> Beta, ArrayView<float> Mean, ArrayView<float> InvStd, ArrayView<float> RunMean, ArrayView<float> RunVar,
    ArrayView<float> DGamma, ArrayView<float> DBeta, ArrayView<float> Affine, ArrayView<float> Coeff, float Momentum,
    float Epsilon);

/// <summary>Element-wise per-channel maps: y = x·scale + shift, or dx = A·dy + B·x + C.</summary>
internal readonly record struct ChannelMapArgs(NchwDims D, ArrayView<float> X, ArrayView<float> Dy, ArrayView<float> Y,
    ArrayView<float> PerChannel);

/// <summary>Batch normalisation kernels: per-plane partial sums, per-channel finishing, element-wise maps.</summary>
internal static class NormKernels
{
    /// <summary>Σ(x − k) and Σ(x − k)² over plane (n, c), k = x[0][c][0] (so the variance suffers no cancellation).</summary>
    [GpuKernel]
    public static void StatisticsPartials(PlaneSumsArgs a)
    {
        var d = a.D;
        int planes = d.N * d.C;
        for (int t = Threads.Global; t < planes; t += Threads.Total)
        {
            int c = t % d.C;
            float k = a.X[(long)c * d.Plane];
            long start = (long)t * d.Plane;
            float s1 = 0f, s2 = 0f;
            for (int p = 0; p < d.Plane; p++)
            {
                float v = a.X[start + p] - k;
                s1 += v;
                s2 += v * v;
            }
            a.Partial[t] = s1;
            a.Partial[planes + t] = s2;
        }
    }

    /// <summary>
    /// Channel c's two sums from the per-plane partials (first sums of every plane, then second sums), added over the
    /// images in double in image order, so the result does not depend on the launch.
    /// </summary>
    private static void SumOverImages(ArrayView<float> partial, NchwDims d, int c, out double s1, out double s2)
    {
        int planes = d.N * d.C;
        s1 = 0;
        s2 = 0;
        for (int n = 0; n < d.N; n++)
        {
            s1 += partial[n * d.C + c];
            s2 += partial[planes + n * d.C + c];
        }
    }

    /// <summary>
    /// Per channel: the batch mean and 1/√(var + ε) from the partials (summed over images in double), the running
    /// statistics update (unbiased variance, momentum), and scale γ·invStd and shift β − mean·scale.
    /// </summary>
    [GpuKernel]
    public static void StatisticsFinish(ChannelArgs a)
    {
        var d = a.D;
        for (int c = Threads.Global; c < d.C; c += Threads.Total)
        {
            SumOverImages(a.Partial, d, c, out double s1, out double s2);
            double m = (double)d.N * d.Plane;
            double shiftMean = s1 / m;
            double variance = s2 / m - shiftMean * shiftMean;
            if (variance < 0) variance = 0;
            double mean = a.X[(long)c * d.Plane] + shiftMean;
            float invStd = (float)(1.0 / Math.Sqrt(variance + a.Epsilon));
            a.Mean[c] = (float)mean;
            a.InvStd[c] = invStd;
            a.RunMean[c] = (float)((1 - a.Momentum) * a.RunMean[c] + a.Momentum * mean);
            a.RunVar[c] = (float)((1 - a.Momentum) * a.RunVar[c] + a.Momentum * variance * m / (m - 1));
            float scale = a.Gamma[c] * invStd;
            a.Affine[c] = scale;
            a.Affine[d.C + c] = a.Beta[c] - (float)mean * scale;
        }
    }

    /// <summary>Scale and shift from the saved batch statistics (the backward needs them again).</summary>
    [GpuKernel]
    public static void SavedScaleShift(ChannelArgs a)
    {
        for (int c = Threads.Global; c < a.D.C; c += Threads.Total)
        {
            float scale = a.Gamma[c] * a.InvStd[c];
            a.Affine[c] = scale;
            a.Affine[a.D.C + c] = a.Beta[c] - a.Mean[c] * scale;
        }
    }

    /// <summary>Scale γ/√(running var + ε) and shift β − running mean·scale (evaluation mode).</summary>
    [GpuKernel]
    public static void InferenceScaleShift(ChannelArgs a)
    {
        for (int c = Threads.Global; c < a.D.C; c += Threads.Total)
        {
            float scale = (float)(a.Gamma[c] / Math.Sqrt((double)a.RunVar[c] + a.Epsilon));
            a.Affine[c] = scale;
            a.Affine[a.D.C + c] = a.Beta[c] - a.RunMean[c] * scale;
        }
    }

    /// <summary>y = x·scale[c] + shift[c].</summary>
    [GpuKernel]
    public static void Apply(ChannelMapArgs a)
    {
        var d = a.D;
        long total = (long)d.N * d.C * d.Plane;
        for (long t = Threads.Global; t < total; t += Threads.Total)
        {
            int c = (int)(t / d.Plane % d.C);
            a.Y[t] = a.X[t] * a.PerChannel[c] + a.PerChannel[d.C + c];
        }
    }

    /// <summary>Σ dy and Σ dy·(x − mean[c]) over plane (n, c).</summary>
    [GpuKernel]
    public static void GradientPartials(PlaneSumsArgs a)
    {
        var d = a.D;
        int planes = d.N * d.C;
        for (int t = Threads.Global; t < planes; t += Threads.Total)
        {
            float mean = a.Center[t % d.C];
            long start = (long)t * d.Plane;
            float s1 = 0f, s2 = 0f;
            for (int p = 0; p < d.Plane; p++)
            {
                float g = a.Other[start + p];
                s1 += g;
                s2 += g * (a.X[start + p] - mean);
            }
            a.Partial[t] = s1;
            a.Partial[planes + t] = s2;
        }
    }

    /// <summary>
    /// Per channel, from S1 = Σdy and S2 = Σdy·(x − mean): dγ += invStd·S2, dβ += S1, and the coefficients of
    /// dx = A·dy + B·x + C: A = γ·invStd, B = −γ·invStd³·S2/m, C = −A·S1/m − B·mean.
    /// </summary>
    [GpuKernel]
    public static void GradientFinish(ChannelArgs a)
    {
        var d = a.D;
        for (int c = Threads.Global; c < d.C; c += Threads.Total)
        {
            SumOverImages(a.Partial, d, c, out double s1, out double s2);
            double m = (double)d.N * d.Plane, inv = a.InvStd[c], g = a.Gamma[c];
            a.DGamma[c] += (float)(inv * s2);
            a.DBeta[c] += (float)s1;
            double ca = g * inv, cb = -g * inv * inv * inv * s2 / m;
            a.Coeff[c] = (float)ca;
            a.Coeff[d.C + c] = (float)cb;
            a.Coeff[2 * d.C + c] = (float)(-ca * s1 / m - cb * a.Mean[c]);
        }
    }

    /// <summary>dx = A[c]·dy + B[c]·x + C[c].</summary>
    [GpuKernel]
    public static void BackwardApply(ChannelMapArgs a)
    {
        var d = a.D;
        long total = (long)d.N * d.C * d.Plane;
        for (long t = Threads.Global; t < total; t += Threads.Total)
        {
            int c = (int)(t / d.Plane % d.C);
            a.Y[t] = a.PerChannel[c] * a.Dy[t] + (a.PerChannel[d.C + c] * a.X[t] + a.PerChannel[2 * d.C + c]);
        }
    }
}
