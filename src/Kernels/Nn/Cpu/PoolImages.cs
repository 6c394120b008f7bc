namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// The per-image loops of 2×2 max-pooling over NCHW, shared by plain pooling (<see cref="CpuMaxPool"/>: the identity
/// map, no ReLU) and the fused batch norm + ReLU + pool (<see cref="CpuBatchNormReluPool"/>): each channel's plane
/// goes through <see cref="PoolRows"/> with that channel's coefficients.
/// </summary>
internal static unsafe class PoolImages
{
    /// <summary>Image n's planes of x, each through fma(x, scale[c], shift[c]) (and a ReLU when asked), pooled into y.</summary>
    public static void Forward(in Nchw s, int n, float* x, float* y, float* scale, float* shift, bool relu)
    {
        int pooled = s.Height / 2 * (s.Width / 2);
        for (int c = 0; c < s.Channels; c++)
        {
            long plane = (long)n * s.Channels + c;
            PoolRows.Forward(x + plane * s.Plane, s.Height, s.Width, scale[c], shift[c], relu, y + plane * pooled);
        }
    }

    /// <summary>
    /// Image n's input gradient, C × H × W, into dxImage: gb[c]·x + gc[c] everywhere, plus ga[c]·dPooled at each
    /// window's first maximum of the values the forward pooled.
    /// </summary>
    public static void Backward(in Nchw s, int n, float* x, float* dPooled, float* dxImage, float* scale, float* shift,
        bool relu, float* ga, float* gb, float* gc)
    {
        int pooled = s.Height / 2 * (s.Width / 2);
        for (int c = 0; c < s.Channels; c++)
        {
            long plane = (long)n * s.Channels + c;
            PoolRows.Backward(x + plane * s.Plane, dPooled + plane * pooled, dxImage + (long)c * s.Plane, s.Height, s.Width,
                scale[c], shift[c], relu, ga[c], gb[c], gc[c]);
        }
    }
}
