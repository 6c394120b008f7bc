using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>Small SIMD loops shared by the CPU neural-net operations.</summary>
internal static unsafe class VectorMath
{
    /// <summary>Σ (x[i] − shift) and Σ (x[i] − shift)² over n values, accumulated in float lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (float Sum, float SumSquares) ShiftedSums(float* x, int n, float shift)
    {
        var k = Vector512.Create(shift);
        Vector512<float> s1 = default, s2 = default;
        int i = 0;
        for (; i <= n - 16; i += 16)
        {
            var d = Vector512.Load(x + i) - k;
            s1 += d;
            s2 = Vector512.FusedMultiplyAdd(d, d, s2);
        }
        float a = Vector512.Sum(s1), b = Vector512.Sum(s2);
        for (; i < n; i++)
        {
            float d = x[i] - shift;
            a += d;
            b += d * d;
        }
        return (a, b);
    }

    /// <summary>Σ dy[i] and Σ dy[i]·(x[i] − mean) over n values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (float Sum, float SumProducts) GradientSums(float* dy, float* x, int n, float mean)
    {
        var m = Vector512.Create(mean);
        Vector512<float> s1 = default, s2 = default;
        int i = 0;
        for (; i <= n - 16; i += 16)
        {
            var g = Vector512.Load(dy + i);
            s1 += g;
            s2 = Vector512.FusedMultiplyAdd(g, Vector512.Load(x + i) - m, s2);
        }
        float a = Vector512.Sum(s1), b = Vector512.Sum(s2);
        for (; i < n; i++)
        {
            a += dy[i];
            b += dy[i] * (x[i] - mean);
        }
        return (a, b);
    }

    /// <summary>y[i] = fma(x[i], scale, shift): one rounding, the same in the vector and the scalar tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Affine(float* x, float* y, int n, float scale, float shift)
    {
        var a = Vector512.Create(scale);
        var b = Vector512.Create(shift);
        int i = 0;
        for (; i <= n - 16; i += 16) Vector512.FusedMultiplyAdd(Vector512.Load(x + i), a, b).Store(y + i);
        for (; i < n; i++) y[i] = MathF.FusedMultiplyAdd(x[i], scale, shift);
    }

    /// <summary>dx[i] = fma(a, dy[i], fma(b, x[i], c)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Affine2(float* dy, float* x, float* dx, int n, float a, float b, float c)
    {
        var va = Vector512.Create(a);
        var vb = Vector512.Create(b);
        var vc = Vector512.Create(c);
        int i = 0;
        for (; i <= n - 16; i += 16)
            Vector512.FusedMultiplyAdd(va, Vector512.Load(dy + i), Vector512.FusedMultiplyAdd(vb, Vector512.Load(x + i), vc)).Store(dx + i);
        for (; i < n; i++) dx[i] = MathF.FusedMultiplyAdd(a, dy[i], MathF.FusedMultiplyAdd(b, x[i], c));
    }

    /// <summary>dx[i] = fma(b, x[i], c): the batch-norm input gradient where no pooled gradient arrives.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Affine2Zero(float* x, float* dx, int n, float b, float c)
    {
        var vb = Vector512.Create(b);
        var vc = Vector512.Create(c);
        int i = 0;
        for (; i <= n - 16; i += 16) Vector512.FusedMultiplyAdd(vb, Vector512.Load(x + i), vc).Store(dx + i);
        for (; i < n; i++) dx[i] = MathF.FusedMultiplyAdd(b, x[i], c);
    }
}
