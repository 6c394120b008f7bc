namespace Lshk.Kernels.Nn.Cpu;

/// <summary>2×2 max-pooling with stride 2 (floor mode) on the CPU, one image per work item.</summary>
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
        int oh = s.Height / 2, ow = s.Width / 2;
        for (int c = 0; c < s.Channels; c++)
        {
            float* x = _x + ((long)n * s.Channels + c) * s.Plane;
            float* y = _y + ((long)n * s.Channels + c) * oh * ow;
            for (int i = 0; i < oh; i++)
            {
                float* r0 = x + 2 * i * s.Width, r1 = r0 + s.Width;
                for (int j = 0; j < ow; j++)
                    y[i * ow + j] = MathF.Max(MathF.Max(r0[2 * j], r0[2 * j + 1]), MathF.Max(r1[2 * j], r1[2 * j + 1]));
            }
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
        int oh = s.Height / 2, ow = s.Width / 2;
        new Span<float>(_dx + (long)n * s.Channels * s.Plane, s.Channels * s.Plane).Clear();
        for (int c = 0; c < s.Channels; c++)
        {
            float* x = _x + ((long)n * s.Channels + c) * s.Plane;
            float* dx = _dx + ((long)n * s.Channels + c) * s.Plane;
            float* dy = _dy + ((long)n * s.Channels + c) * oh * ow;
            for (int i = 0; i < oh; i++)
            {
                int r0 = 2 * i * s.Width, r1 = r0 + s.Width;
                for (int j = 0; j < ow; j++)
                {
                    int k = FirstMax(x[r0 + 2 * j], x[r0 + 2 * j + 1], x[r1 + 2 * j], x[r1 + 2 * j + 1]);
                    dx[(k < 2 ? r0 : r1) + 2 * j + (k & 1)] = dy[i * ow + j];
                }
            }
        }
    }
}
