using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// Small SIMD loops shared by the CPU neural-net operations. Without AVX-512 each runs on Vector256 (Vector512 would
/// run as halves through memory); the sums keep the 16 lanes of the AVX-512 form as two halves, added at the end as
/// Vector512.Sum adds them, so both forms give the same bits.
/// </summary>
internal static unsafe class VectorMath
{
    /// <summary>Σ (x[i] − shift) and Σ (x[i] − shift)² over n values, accumulated in float lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (float Sum, float SumSquares) ShiftedSums(float* x, int n, float shift) =>
        Vector512.IsHardwareAccelerated ? ShiftedSums512(x, n, shift) : ShiftedSums256(x, n, shift);

    /// <summary><see cref="ShiftedSums"/> in Vector512 (the AVX-512 form).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static (float Sum, float SumSquares) ShiftedSums512(float* x, int n, float shift)
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
        return ShiftedSumsTail(x, i, n, shift, Vector512.Sum(s1), Vector512.Sum(s2));
    }

    /// <summary><see cref="ShiftedSums"/> in Vector256, the 16 lanes as two halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static (float Sum, float SumSquares) ShiftedSums256(float* x, int n, float shift)
    {
        var k = Vector256.Create(shift);
        Vector256<float> s1Low = default, s1High = default, s2Low = default, s2High = default;
        int i = 0;
        for (; i <= n - 16; i += 16)
        {
            var dLow = Vector256.Load(x + i) - k;
            var dHigh = Vector256.Load(x + i + 8) - k;
            s1Low += dLow;
            s1High += dHigh;
            s2Low = Vector256.FusedMultiplyAdd(dLow, dLow, s2Low);
            s2High = Vector256.FusedMultiplyAdd(dHigh, dHigh, s2High);
        }
        return ShiftedSumsTail(x, i, n, shift, Vector256.Sum(s1Low) + Vector256.Sum(s1High),
            Vector256.Sum(s2Low) + Vector256.Sum(s2High));
    }

    /// <summary>Both forms' scalar tail of <see cref="ShiftedSums"/>: values [i, n) added to the lanes' sums a and b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (float Sum, float SumSquares) ShiftedSumsTail(float* x, int i, int n, float shift, float a, float b)
    {
        for (; i < n; i++)
        {
            float d = x[i] - shift;
            a += d;
            b += d * d;
        }
        return (a, b);
    }

    /// <summary>Σ dy[i] and Σ dy[i]·(x[i] − mean) over n values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (float Sum, float SumProducts) GradientSums(float* dy, float* x, int n, float mean) =>
        Vector512.IsHardwareAccelerated ? GradientSums512(dy, x, n, mean) : GradientSums256(dy, x, n, mean);

    /// <summary><see cref="GradientSums"/> in Vector512 (the AVX-512 form).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static (float Sum, float SumProducts) GradientSums512(float* dy, float* x, int n, float mean)
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
        return GradientSumsTail(dy, x, i, n, mean, Vector512.Sum(s1), Vector512.Sum(s2));
    }

    /// <summary><see cref="GradientSums"/> in Vector256, the 16 lanes as two halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static (float Sum, float SumProducts) GradientSums256(float* dy, float* x, int n, float mean)
    {
        var m = Vector256.Create(mean);
        Vector256<float> s1Low = default, s1High = default, s2Low = default, s2High = default;
        int i = 0;
        for (; i <= n - 16; i += 16)
        {
            var gLow = Vector256.Load(dy + i);
            var gHigh = Vector256.Load(dy + i + 8);
            s1Low += gLow;
            s1High += gHigh;
            s2Low = Vector256.FusedMultiplyAdd(gLow, Vector256.Load(x + i) - m, s2Low);
            s2High = Vector256.FusedMultiplyAdd(gHigh, Vector256.Load(x + i + 8) - m, s2High);
        }
        return GradientSumsTail(dy, x, i, n, mean, Vector256.Sum(s1Low) + Vector256.Sum(s1High),
            Vector256.Sum(s2Low) + Vector256.Sum(s2High));
    }

    /// <summary>Both forms' scalar tail of <see cref="GradientSums"/>: values [i, n) added to the lanes' sums a and b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (float Sum, float SumProducts) GradientSumsTail(float* dy, float* x, int i, int n, float mean, float a,
        float b)
    {
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
        int i = 0;
        if (!Vector512.IsHardwareAccelerated)
        {
            var a8 = Vector256.Create(scale);
            var b8 = Vector256.Create(shift);
            for (; i <= n - 8; i += 8) Vector256.FusedMultiplyAdd(Vector256.Load(x + i), a8, b8).Store(y + i);
        }
        else
        {
            var a = Vector512.Create(scale);
            var b = Vector512.Create(shift);
            for (; i <= n - 16; i += 16) Vector512.FusedMultiplyAdd(Vector512.Load(x + i), a, b).Store(y + i);
        }
        for (; i < n; i++) y[i] = MathF.FusedMultiplyAdd(x[i], scale, shift);
    }

    /// <summary>dx[i] = fma(a, dy[i], fma(b, x[i], c)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Affine2(float* dy, float* x, float* dx, int n, float a, float b, float c)
    {
        int i = 0;
        if (!Vector512.IsHardwareAccelerated)
        {
            var a8 = Vector256.Create(a);
            var b8 = Vector256.Create(b);
            var c8 = Vector256.Create(c);
            for (; i <= n - 8; i += 8)
                Vector256.FusedMultiplyAdd(a8, Vector256.Load(dy + i), Vector256.FusedMultiplyAdd(b8, Vector256.Load(x + i), c8)).Store(dx + i);
        }
        else
        {
            var va = Vector512.Create(a);
            var vb = Vector512.Create(b);
            var vc = Vector512.Create(c);
            for (; i <= n - 16; i += 16)
                Vector512.FusedMultiplyAdd(va, Vector512.Load(dy + i), Vector512.FusedMultiplyAdd(vb, Vector512.Load(x + i), vc)).Store(dx + i);
        }
        for (; i < n; i++) dx[i] = MathF.FusedMultiplyAdd(a, dy[i], MathF.FusedMultiplyAdd(b, x[i], c));
    }
}
