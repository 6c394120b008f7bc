namespace Lshk.Kernels.Nn.Cpu;

/// <summary>2×2 max-pooling with stride 2 (floor mode) on the CPU: <see cref="PoolRows"/> per plane, one image per work item.</summary>
internal sealed unsafe class CpuMaxPool
{
    private readonly WorkerPool _pool;
    private readonly WorkerPool.Body _forwardImage, _backwardImage;
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
        _pool.For(s.Batch, _forwardImage);
    }

    private void ForwardImage(int n, int worker)
    {
        var s = _s;
        int pooled = s.Height / 2 * (s.Width / 2);
        for (int c = 0; c < s.Channels; c++)
        {
            long plane = (long)n * s.Channels + c;
            PoolRows.Forward(_x + plane * s.Plane, s.Height, s.Width, 1f, 0f, relu: false, _y + plane * pooled);
        }
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
        _pool.For(s.Batch, _backwardImage);
    }

    private void BackwardImage(int n, int worker)
    {
        var s = _s;
        int pooled = s.Height / 2 * (s.Width / 2);
        for (int c = 0; c < s.Channels; c++)
        {
            long plane = (long)n * s.Channels + c;
            // dx = 0·x + 0 everywhere, plus 1·dy at each window's first maximum
            PoolRows.Backward(_x + plane * s.Plane, _dy + plane * pooled, _dx + plane * s.Plane, s.Height, s.Width, 1f, 0f,
                relu: false, 1f, 0f, 0f);
        }
    }
}
