using ILGPU;
using Lshk.Kernels.Gpu;

namespace Lshk.Kernels.Nn.Gpu;

/// <summary>
/// 2×2 max-pool over an N×C×H×W input (floor mode), optionally through the per-channel map x·scale + shift and a
/// ReLU first (Fused = 1: the fused batch norm + ReLU + pool, scale/shift in Affine). Pooled is N×C×(H/2)×(W/2).
/// For the backward, Coeff holds A, B, C per channel (Fused = 1) and Partial receives per-plane sums.
/// </summary>
internal readonly record struct PoolArgs(NchwDims D, ArrayView<float> X, ArrayView<float> Pooled, ArrayView<float> Dx,
    ArrayView<float> Affine, ArrayView<float> Coeff, ArrayView<float> Center, ArrayView<float> Partial, int Fused);

/// <summary>Max-pooling kernels; ties go to the first maximum in row-major window order (PyTorch's rule).</summary>
internal static class PoolKernels
{
    /// <summary>The value pooling sees for element i of channel c: x, or x·scale + shift when fused.</summary>
    private static float Value(PoolArgs a, long i, int c) =>
        a.Fused != 0 ? a.X[i] * a.Affine[c] + a.Affine[a.D.C + c] : a.X[i];

    /// <summary>Index (0..3) of window (plane, i, j)'s first maximum, and that maximum.</summary>
    private static int FirstMax(PoolArgs a, long plane, int i, int j, int c, out float best)
    {
        int w = a.D.W;
        long top = plane * a.D.Plane + 2L * i * w + 2 * j;
        best = Value(a, top, c);
        int at = 0;
        float v = Value(a, top + 1, c);
        if (v > best) { best = v; at = 1; }
        v = Value(a, top + w, c);
        if (v > best) { best = v; at = 2; }
        v = Value(a, top + w + 1, c);
        if (v > best) { best = v; at = 3; }
        return at;
    }

    /// <summary>One thread per pooled value: the window maximum (then max(·, 0) when fused).</summary>
    [GpuKernel]
    public static void Forward(PoolArgs a)
    {
        var d = a.D;
        int oh = d.H / 2, ow = d.W / 2;
        long total = (long)d.N * d.C * oh * ow;
        for (long t = Threads.Global; t < total; t += Threads.Total)
        {
            int j = (int)(t % ow);
            long r = t / ow;
            int i = (int)(r % oh);
            long plane = r / oh;
            int c = (int)(plane % d.C);
            FirstMax(a, plane, i, j, c, out float best);
            a.Pooled[t] = a.Fused != 0 && best < 0f ? 0f : best;
        }
    }

    /// <summary>
    /// Fused backward, pass 1, one thread per plane: Σ g and Σ g·(x_win − mean) over the windows, g being the pooled
    /// gradient (Pooled holds it here) where the window maximum is positive.
    /// </summary>
    [GpuKernel]
    public static void FusedPartials(PoolArgs a)
    {
        var d = a.D;
        int oh = d.H / 2, ow = d.W / 2, planes = d.N * d.C;
        for (int plane = Threads.Global; plane < planes; plane += Threads.Total)
        {
            int c = plane % d.C;
            float mean = a.Center[c];
            float s1 = 0f, s2 = 0f;
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    int at = FirstMax(a, plane, i, j, c, out float best);
                    if (best <= 0f) continue;
                    float g = a.Pooled[((long)plane * oh + i) * ow + j];
                    float x = a.X[(long)plane * d.Plane + (2 * i + at / 2) * d.W + 2 * j + at % 2];
                    s1 += g;
                    s2 += g * (x - mean);
                }
            a.Partial[plane] = s1;
            a.Partial[planes + plane] = s2;
        }
    }

    /// <summary>
    /// One thread per input element: the gradient routed from its window when it is the window's first maximum
    /// (and, fused, the maximum is positive). Fused: dx = B·x + C + A·g; plain max-pool: dx = g or 0. Pooled holds
    /// the pooled gradient here.
    /// </summary>
    [GpuKernel]
    public static void Backward(PoolArgs a)
    {
        var d = a.D;
        int oh = d.H / 2, ow = d.W / 2;
        long total = (long)d.N * d.C * d.Plane;
        for (long t = Threads.Global; t < total; t += Threads.Total)
        {
            int col = (int)(t % d.W);
            long r = t / d.W;
            int row = (int)(r % d.H);
            long plane = r / d.H;
            int c = (int)(plane % d.C);
            int i = row / 2, j = col / 2;
            float g = 0f;
            if (i < oh && j < ow)
            {
                int at = FirstMax(a, plane, i, j, c, out float best);
                if (at == (row % 2) * 2 + col % 2 && (a.Fused == 0 || best > 0f))
                    g = a.Pooled[(plane * oh + i) * ow + j];
            }
            a.Dx[t] = a.Fused != 0 ? a.Coeff[c] * g + (a.Coeff[d.C + c] * a.X[t] + a.Coeff[2 * d.C + c]) : g;
        }
    }
}
