using ILGPU;
using Lshk.Kernels.Gpu;

namespace Lshk.Kernels.Nn.Gpu;

/// <summary>The geometry of a convolution, as kernel arguments (see <see cref="Conv2dShape"/>).</summary>
internal readonly struct ConvDims(Conv2dShape s)
{
    public readonly int N = s.Batch, Cin = s.InChannels, H = s.Height, W = s.Width, Cout = s.OutChannels, K = s.Kernel,
        Stride = s.Stride, Pad = s.Padding, OH = s.OutHeight, OW = s.OutWidth;

    public int Taps => Cin * K * K;
}

/// <summary>Convolution tensors: x (N×Cin×H×W), weights (Cout×Cin×K×K), bias (Cout, used when HasBias = 1), y (N×Cout×OH×OW).</summary>
internal readonly record struct ConvArgs(ConvDims D, ArrayView<float> X, ArrayView<float> W, ArrayView<float> Bias, int HasBias,
    ArrayView<float> Y);

/// <summary>
/// Gradient partial sums over chunks of images: Partial[chunk·Count + i] for i &lt; Count, chunk &lt; Chunks, each
/// chunk covering images [chunk·PerChunk, (chunk+1)·PerChunk). Summed in a fixed order later (deterministic, no atomics).
/// </summary>
internal readonly record struct ConvGradArgs(ConvDims D, ArrayView<float> X, ArrayView<float> Dy, ArrayView<float> Partial,
    int Chunks, int PerChunk);

/// <summary>target[i] += Σ_chunk partial[chunk·Count + i].</summary>
internal readonly record struct ReduceArgs(ArrayView<float> Partial, int Chunks, int Count, ArrayView<float> Target);

/// <summary>Direct convolution kernels, one thread per result element (grid-stride).</summary>
internal static class ConvKernels
{
    /// <summary>y[n][co][oh][ow] = bias[co] + Σ_{ci,kh,kw} w[co][ci][kh][kw]·x[n][ci][oh·s − p + kh][ow·s − p + kw].</summary>
    [GpuKernel]
    public static void Forward(ConvArgs a)
    {
        var d = a.D;
        long total = (long)d.N * d.Cout * d.OH * d.OW;
        for (long t = Threads.Global; t < total; t += Threads.Total)
        {
            int ow = (int)(t % d.OW);
            long r = t / d.OW;
            int oh = (int)(r % d.OH);
            r /= d.OH;
            int co = (int)(r % d.Cout);
            int n = (int)(r / d.Cout);
            float sum = a.HasBias != 0 ? a.Bias[co] : 0f;
            for (int ci = 0; ci < d.Cin; ci++)
            {
                long xPlane = ((long)n * d.Cin + ci) * d.H;
                long wRow = ((long)co * d.Cin + ci) * d.K;
                for (int kh = 0; kh < d.K; kh++)
                {
                    int ih = oh * d.Stride - d.Pad + kh;
                    if (ih < 0 || ih >= d.H) continue;
                    for (int kw = 0; kw < d.K; kw++)
                    {
                        int iw = ow * d.Stride - d.Pad + kw;
                        if (iw < 0 || iw >= d.W) continue;
                        sum += a.W[(wRow + kh) * d.K + kw] * a.X[(xPlane + ih) * d.W + iw];
                    }
                }
            }
            a.Y[t] = sum;
        }
    }

    /// <summary>
    /// dx[n][ci][ih][iw] = Σ w[co][ci][kh][kw]·dy[n][co][oh][ow] over the outputs that read it: oh·s − p + kh = ih.
    /// Here X is dx (written) and Y is dy; one thread per input element.
    /// </summary>
    [GpuKernel]
    public static void BackwardData(ConvArgs a)
    {
        var d = a.D;
        long total = (long)d.N * d.Cin * d.H * d.W;
        for (long t = Threads.Global; t < total; t += Threads.Total)
        {
            int iw = (int)(t % d.W);
            long r = t / d.W;
            int ih = (int)(r % d.H);
            r /= d.H;
            int ci = (int)(r % d.Cin);
            int n = (int)(r / d.Cin);
            float sum = 0f;
            for (int co = 0; co < d.Cout; co++)
            {
                long dyPlane = ((long)n * d.Cout + co) * d.OH;
                long wRow = ((long)co * d.Cin + ci) * d.K;
                for (int kh = 0; kh < d.K; kh++)
                {
                    int th = ih + d.Pad - kh;
                    if (th < 0 || th % d.Stride != 0) continue;
                    int oh = th / d.Stride;
                    if (oh >= d.OH) continue;
                    for (int kw = 0; kw < d.K; kw++)
                    {
                        int tw = iw + d.Pad - kw;
                        if (tw < 0 || tw % d.Stride != 0) continue;
                        int ow = tw / d.Stride;
                        if (ow >= d.OW) continue;
                        sum += a.W[(wRow + kh) * d.K + kw] * a.Y[(dyPlane + oh) * d.OW + ow];
                    }
                }
            }
            a.X[t] = sum;
        }
    }

    /// <summary>Weight-gradient partials: thread (chunk, weight) sums dy·x over its chunk's images and all output positions.</summary>
    [GpuKernel]
    public static void WeightPartials(ConvGradArgs a)
    {
        var d = a.D;
        int weights = d.Cout * d.Taps;
        long total = (long)a.Chunks * weights;
        for (long t = Threads.Global; t < total; t += Threads.Total)
        {
            int wi = (int)(t % weights);
            int chunk = (int)(t / weights);
            int kw = wi % d.K;
            int kh = wi / d.K % d.K;
            int ci = wi / (d.K * d.K) % d.Cin;
            int co = wi / d.Taps;
            int n0 = chunk * a.PerChunk;
            int n1 = n0 + a.PerChunk < d.N ? n0 + a.PerChunk : d.N;
            float sum = 0f;
            for (int n = n0; n < n1; n++)
            {
                long dyPlane = ((long)n * d.Cout + co) * d.OH;
                long xPlane = ((long)n * d.Cin + ci) * d.H;
                for (int oh = 0; oh < d.OH; oh++)
                {
                    int ih = oh * d.Stride - d.Pad + kh;
                    if (ih < 0 || ih >= d.H) continue;
                    for (int ow = 0; ow < d.OW; ow++)
                    {
                        int iw = ow * d.Stride - d.Pad + kw;
                        if (iw < 0 || iw >= d.W) continue;
                        sum += a.Dy[(dyPlane + oh) * d.OW + ow] * a.X[(xPlane + ih) * d.W + iw];
                    }
                }
            }
            a.Partial[t] = sum;
        }
    }

    /// <summary>Bias-gradient partials: thread (chunk, co) sums dy over its chunk's images.</summary>
    [GpuKernel]
    public static void BiasPartials(ConvGradArgs a)
    {
        var d = a.D;
        long total = (long)a.Chunks * d.Cout;
        int plane = d.OH * d.OW;
        for (long t = Threads.Global; t < total; t += Threads.Total)
        {
            int co = (int)(t % d.Cout);
            int chunk = (int)(t / d.Cout);
            int n0 = chunk * a.PerChunk;
            int n1 = n0 + a.PerChunk < d.N ? n0 + a.PerChunk : d.N;
            float sum = 0f;
            for (int n = n0; n < n1; n++)
            {
                long start = ((long)n * d.Cout + co) * plane;
                for (int p = 0; p < plane; p++) sum += a.Dy[start + p];
            }
            a.Partial[t] = sum;
        }
    }

    /// <summary>target[i] += Σ over chunks of the partials, in chunk order.</summary>
    [GpuKernel]
    public static void ReducePartials(ReduceArgs a)
    {
        for (int i = Threads.Global; i < a.Count; i += Threads.Total)
        {
            float sum = 0f;
            for (int c = 0; c < a.Chunks; c++) sum += a.Partial[(long)c * a.Count + i];
            a.Target[i] += sum;
        }
    }
}
