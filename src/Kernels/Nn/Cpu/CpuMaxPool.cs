namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// 2×2 max-pooling with stride 2 (floor mode) on the CPU, one image per work item: the loops of the fused batch norm +
/// ReLU + pool (<see cref="PoolImages"/>) with the identity map (scale 1, shift 0) and no ReLU; the backward's
/// coefficients A = 1, B = C = 0 give dx = dy at each window's first maximum and 0 elsewhere.
/// </summary>
internal sealed unsafe class CpuMaxPool
{
    private readonly WorkerPool _pool;
    private readonly WorkerPool.Body _forwardImage, _backwardImage;
    private readonly PinnedScratch<float> _ones = new(), _zeros = new(); // per-channel coefficients
    private Nchw _s;
    private float* _x, _y, _dy, _dx;

    public CpuMaxPool(WorkerPool pool)
    {
        _pool = pool;
        _forwardImage = ForwardImage;
        _backwardImage = BackwardImage;
    }

    public void Forward(in Nchw s, float* x, float* y)
    {
        _s = s;
        _x = x;
        _y = y;
        Coefficients(s.Channels);
        _pool.For(s.Batch, _forwardImage);
    }

    private void ForwardImage(int n, int worker) =>
        PoolImages.Forward(_s, n, _x, _y, _ones.Pointer, _zeros.Pointer, relu: false);

    /// <summary>Sets the per-channel ones and zeros for <paramref name="channels"/> channels.</summary>
    private void Coefficients(int channels)
    {
        new Span<float>(_ones.Ensure(channels), channels).Fill(1f);
        _zeros.EnsureZeroed(channels);
    }

    /// <summary>Position (0..3, row-major in the window) of the first maximum of a, b, c, d.</summary>
    internal static int FirstMax(float a, float b, float c, float d)
    {
        int best = 0;
        float m = a;
        if (b > m) { m = b; best = 1; }
        if (c > m) { m = c; best = 2; }
        if (d > m) best = 3;
        return best;
    }

    public void Backward(in Nchw s, float* x, float* dy, float* dx)
    {
        _s = s;
        _x = x;
        _dy = dy;
        _dx = dx;
        Coefficients(s.Channels);
        _pool.For(s.Batch, _backwardImage);
    }

    private void BackwardImage(int n, int worker)
    {
        float* ones = _ones.Pointer, zeros = _zeros.Pointer;
        PoolImages.Backward(_s, n, _x + (long)n * _s.Channels * _s.Plane, _dy, _dx + (long)n * _s.Channels * _s.Plane, ones, zeros, relu: false, ones, zeros,
            zeros);
    }
}
