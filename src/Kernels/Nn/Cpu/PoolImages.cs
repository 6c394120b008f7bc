namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// The per-image loops of 2×2 max-pooling over NCHW, shared by plain pooling (<see cref="CpuMaxPool"/>: the identity
/// map, no ReLU) and the fused batch norm + ReLU + pool (<see cref="CpuBatchNormReluPool"/>): each channel's plane
/// goes through <see cref="PoolRows"/> with that channel's coefficients.
/// </summary>
internal static unsafe class PoolImages
{
    /// <summary>Image n's planes of x, each through fma(x, scale[c], shift[c]) (and a ReLU when asked), pooled into y.</summary>
    public static void Forward(in Nchw s, int n, float* x, float* y, float* scale, float* shift, bool relu) =>
        Forward(s, x + (long)n * s.Channels * s.Plane, y + (long)n * s.Channels * (s.Height / 2 * (s.Width / 2)), scale,
            shift, relu);

    /// <summary>One image's planes (C × H × W at image) pooled into its C × H/2 × W/2 outputs.</summary>
    public static void Forward(in Nchw s, float* image, float* pooledImage, float* scale, float* shift, bool relu)
    {
        int pooled = s.Height / 2 * (s.Width / 2);
        for (int c = 0; c < s.Channels; c++)
            PoolRows.Forward(image + (long)c * s.Plane, s.Height, s.Width, scale[c], shift[c], relu, pooledImage + (long)c * pooled);
    }

    /// <summary>
    /// Image n's input gradient, C × H × W, into dxImage: gb[c]·x + gc[c] everywhere, plus ga[c]·dPooled at each
    /// window's first maximum of the values the forward pooled. image is image n's input (C × H × W).
    /// </summary>
    public static void Backward(in Nchw s, int n, float* image, float* dPooled, float* dxImage, float* scale, float* shift,
        bool relu, float* ga, float* gb, float* gc)
    {
        int pooled = s.Height / 2 * (s.Width / 2);
        for (int c = 0; c < s.Channels; c++)
        {
            long plane = (long)n * s.Channels + c;
            PoolRows.Backward(image + (long)c * s.Plane, dPooled + plane * pooled, dxImage + (long)c * s.Plane, s.Height, s.Width,
                scale[c], shift[c], relu, ga[c], gb[c], gc[c]);
        }
    }
}
