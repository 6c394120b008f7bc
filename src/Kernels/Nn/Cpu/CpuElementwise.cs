using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>ReLU and inverted dropout on the CPU, in chunks of 32K values per work item.</summary>
internal sealed unsafe class CpuElementwise
{
    private const int Chunk = 1 << 15;

    private readonly WorkerPool _pool;
    private readonly WorkerPool.Body _reluForward, _reluBackward, _dropout;
    private float* _a, _b, _c;
    private int _count;
    private DropoutMask _mask;

    public CpuElementwise(WorkerPool pool)
    {
        _pool = pool;
        _reluForward = ReluForwardChunk;
        _reluBackward = ReluBackwardChunk;
        _dropout = DropoutChunk;
    }

    /// <summary>Hands the operands to the workers' bodies (fields, so the bodies allocate nothing) and runs the chunks.</summary>
    private void Run(float* a, float* b, float* c, int count, WorkerPool.Body body)
    {
        _a = a;
        _b = b;
        _c = c;
        _count = count;
        _pool.For((count + Chunk - 1) / Chunk, body);
    }

    /// <summary>The values [Start, End) of a chunk.</summary>
    private (int Start, int End) Bounds(int chunk) => (chunk * Chunk, Math.Min(_count, chunk * Chunk + Chunk));

    public void ReluForward(float* x, float* y, int count) => Run(x, y, null, count, _reluForward);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReluForwardChunk(int chunk, int worker)
    {
        var (start, end) = Bounds(chunk);
        float* x = _a, y = _b;
        int i = start;
        if (!Vector512.IsHardwareAccelerated) // Vector256 (Vector512 would run as halves through memory): same values
            for (; i <= end - 8; i += 8) Vector256.Max(Vector256.Load(x + i), Vector256<float>.Zero).Store(y + i);
        for (; i <= end - 16; i += 16) Vector512.Max(Vector512.Load(x + i), Vector512<float>.Zero).Store(y + i);
        for (; i < end; i++) y[i] = x[i] > 0f ? x[i] : 0f;
    }

    public void ReluBackward(float* y, float* dy, float* dx, int count) => Run(y, dy, dx, count, _reluBackward);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReluBackwardChunk(int chunk, int worker)
    {
        var (start, end) = Bounds(chunk);
        float* y = _a, dy = _b, dx = _c;
        int i = start;
        if (!Vector512.IsHardwareAccelerated)
            for (; i <= end - 8; i += 8)
                (Vector256.Load(dy + i) & Vector256.GreaterThan(Vector256.Load(y + i), Vector256<float>.Zero)).Store(dx + i);
        for (; i <= end - 16; i += 16)
        {
            var mask = Vector512.GreaterThan(Vector512.Load(y + i), Vector512<float>.Zero);
            (Vector512.Load(dy + i) & mask).Store(dx + i);
        }
        for (; i < end; i++) dx[i] = y[i] > 0f ? dy[i] : 0f;
    }

    /// <summary>y = x·scale where the mask keeps, else 0 (forward: x is the input; backward: x is dy).</summary>
    public void Dropout(float* x, float* y, int count, in DropoutMask mask)
    {
        _mask = mask;
        Run(x, y, null, count, _dropout);
    }

    private void DropoutChunk(int chunk, int worker)
    {
        var (start, end) = Bounds(chunk);
        float* x = _a, y = _b;
        ulong key = _mask.Key;
        uint threshold = _mask.Threshold;
        float scale = _mask.Scale;
        for (int i = start; i < end; i++) y[i] = DropoutMask.Keeps(key, threshold, i) ? x[i] * scale : 0f;
    }
}
