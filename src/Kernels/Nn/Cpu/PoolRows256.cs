using Lshk.Kernels.Cpu;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// <see cref="PoolRows"/> for machines without AVX-512: 8 windows at a time in Vector256. 16 input columns of a row
/// (two vectors) are split into even and odd columns with a shuffle within 128-bit lanes and a 64-bit permute that
/// puts the halves in order; the backward interleaves them again with unpacks and a 128-bit permute. Every lane
/// computes what the same lane of the 16-window form computes, and the sums keep the 16-lane layout (windows j and
/// j + 8 of each group of 16 in two accumulators, added half by half at the end as Vector512.Sum does), so the results
/// match <see cref="PoolRows"/> bit for bit.
/// </summary>
internal static unsafe class PoolRows256
{
    private const int Lanes = Masked256.Lanes;
    private const byte EvenShuffle = 0b10_00_10_00;   // lanes 0, 2 of each source within each 128-bit half
    private const byte OddShuffle = 0b11_01_11_01;    // lanes 1, 3
    private const byte HalvesInOrder = 0b11_01_10_00; // 64-bit elements 0, 2, 1, 3
    private const byte LowHalves = 0x20, HighHalves = 0x31;

    /// <summary>Even (x0) and odd (x1) columns of 16 input columns at r, the first 2·lanes of them real.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Split(float* r, int lanes, out Vector256<float> even, out Vector256<float> odd)
    {
        var p = Masked256.LoadFirst(r, 2 * lanes);
        var q = Masked256.LoadFirst(r + Lanes, 2 * lanes - Lanes);
        even = Avx2.Permute4x64(Avx.Shuffle(p, q, EvenShuffle).AsDouble(), HalvesInOrder).AsSingle();
        odd = Avx2.Permute4x64(Avx.Shuffle(p, q, OddShuffle).AsDouble(), HalvesInOrder).AsSingle();
    }

    /// <summary>The four window values of 8 windows starting at output column j of row pair (r0, r1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Load(float* r0, float* r1, int j, int lanes, Vector256<float> a, Vector256<float> b,
        out Vector256<float> v0, out Vector256<float> v1, out Vector256<float> v2, out Vector256<float> v3,
        out Vector256<float> x0, out Vector256<float> x1, out Vector256<float> x2, out Vector256<float> x3)
    {
        Split(r0 + 2 * j, lanes, out x0, out x1);
        Split(r1 + 2 * j, lanes, out x2, out x3);
        v0 = Vector256.FusedMultiplyAdd(x0, a, b);
        v1 = Vector256.FusedMultiplyAdd(x1, a, b);
        v2 = Vector256.FusedMultiplyAdd(x2, a, b);
        v3 = Vector256.FusedMultiplyAdd(x3, a, b);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(float* x, int h, int w, float a, float b, bool relu, float* y)
    {
        int oh = h / 2, ow = w / 2;
        var va = Vector256.Create(a);
        var vb = Vector256.Create(b);
        for (int i = 0; i < oh; i++)
        {
            float* r0 = x + 2 * i * w, r1 = r0 + w;
            for (int j = 0; j < ow; j += Lanes)
            {
                int lanes = Math.Min(Lanes, ow - j);
                Load(r0, r1, j, lanes, va, vb, out var v0, out var v1, out var v2, out var v3, out _, out _, out _, out _);
                var m = Vector256.Max(Vector256.Max(v0, v1), Vector256.Max(v2, v3));
                if (relu) m = Vector256.Max(m, Vector256<float>.Zero);
                Masked256.StoreFirst(y + i * ow + j, lanes, m);
            }
        }
    }

    /// <summary>See <see cref="PoolRows"/>' Route: the first maximum's gradient, selection masks and input value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Route(Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3,
        Vector256<float> x0, Vector256<float> x1, Vector256<float> x2, Vector256<float> x3, Vector256<float> g, bool relu,
        out Vector256<float> s1, out Vector256<float> s2, out Vector256<float> s3, out Vector256<float> xWin)
    {
        var m = v0;
        xWin = x0;
        s1 = Vector256.GreaterThan(v1, m);
        m = Vector256.ConditionalSelect(s1, v1, m);
        xWin = Vector256.ConditionalSelect(s1, x1, xWin);
        s2 = Vector256.GreaterThan(v2, m);
        m = Vector256.ConditionalSelect(s2, v2, m);
        xWin = Vector256.ConditionalSelect(s2, x2, xWin);
        s3 = Vector256.GreaterThan(v3, m);
        m = Vector256.ConditionalSelect(s3, v3, m);
        xWin = Vector256.ConditionalSelect(s3, x3, xWin);
        return relu ? g & Vector256.GreaterThan(m, Vector256<float>.Zero) : g;
    }

    /// <summary>The 8 windows at output column j of pooled row i, routed: see <see cref="PoolRows"/>' RoutedWindows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> RoutedWindows(float* r0, float* r1, float* dp, int i, int ow, int j, int lanes,
        Vector256<float> a, Vector256<float> b, bool relu, out Vector256<float> x0, out Vector256<float> x1,
        out Vector256<float> x2, out Vector256<float> x3, out Vector256<float> s1, out Vector256<float> s2,
        out Vector256<float> s3, out Vector256<float> xWin)
    {
        Load(r0, r1, j, lanes, a, b, out var v0, out var v1, out var v2, out var v3, out x0, out x1, out x2, out x3);
        var g = Masked256.LoadFirst(dp + i * ow + j, lanes);
        return Route(v0, v1, v2, v3, x0, x1, x2, x3, g, relu, out s1, out s2, out s3, out xWin);
    }

    /// <summary>Which of the four positions holds each window's gradient: the last selected (s3, else s2, else s1, else 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Positions(Vector256<float> s1, Vector256<float> s2, Vector256<float> s3, out Vector256<float> at0,
        out Vector256<float> at1, out Vector256<float> at2, out Vector256<float> at3)
    {
        at3 = s3;
        at2 = Vector256.AndNot(s2, s3);
        at1 = Vector256.AndNot(Vector256.AndNot(s1, s2), s3);
        at0 = ~(s1 | s2 | s3);
    }

    /// <summary>
    /// Adds g and g·(xWin − mean) of the 8 windows at column j to the sums of the 16-lane form's lower half (windows
    /// 0..7 of each group of 16) or upper half (8..15).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddSums(int j, Vector256<float> g, Vector256<float> xWin, Vector256<float> mean, ref Vector256<float> sLow,
        ref Vector256<float> sHigh, ref Vector256<float> spLow, ref Vector256<float> spHigh)
    {
        if ((j & Lanes) == 0)
        {
            sLow += g;
            spLow = Vector256.FusedMultiplyAdd(g, xWin - mean, spLow);
        }
        else
        {
            sHigh += g;
            spHigh = Vector256.FusedMultiplyAdd(g, xWin - mean, spHigh);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sums(float* x, float* dp, int h, int w, float a, float b, float mean, bool relu, out float sum,
        out float sumProducts)
    {
        int oh = h / 2, ow = w / 2;
        var va = Vector256.Create(a);
        var vb = Vector256.Create(b);
        var vmean = Vector256.Create(mean);
        // [0]: windows 0..7 of each group of 16 (the 16-lane form's lower half), [1]: windows 8..15
        Vector256<float> sLow = default, sHigh = default, spLow = default, spHigh = default;
        for (int i = 0; i < oh; i++)
        {
            float* r0 = x + 2 * i * w, r1 = r0 + w;
            for (int j = 0; j < ow; j += Lanes)
            {
                int lanes = Math.Min(Lanes, ow - j);
                var g = RoutedWindows(r0, r1, dp, i, ow, j, lanes, va, vb, relu, out _, out _, out _, out _, out _, out _,
                    out _, out var xWin);
                AddSums(j, g, xWin, vmean, ref sLow, ref sHigh, ref spLow, ref spHigh);
            }
        }
        sum = Vector256.Sum(sLow) + Vector256.Sum(sHigh);
        sumProducts = Vector256.Sum(spLow) + Vector256.Sum(spHigh);
    }

    /// <summary>See <see cref="PoolRows.Routed"/>; the sums in <see cref="Sums"/>' 16-lane layout.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Routed(float* x, float* dp, float* routed, int stride, int h, int w, float a, float b, float mean,
        out float sum, out float sumProducts)
    {
        int oh = h / 2, ow = w / 2;
        var va = Vector256.Create(a);
        var vb = Vector256.Create(b);
        var vmean = Vector256.Create(mean);
        Vector256<float> sLow = default, sHigh = default, spLow = default, spHigh = default;
        for (int i = 0; i < oh; i++)
        {
            float* r0 = x + 2 * i * w, r1 = r0 + w;
            float* d0 = routed + 2 * i * stride, d1 = d0 + stride;
            for (int j = 0; j < ow; j += Lanes)
            {
                int lanes = Math.Min(Lanes, ow - j);
                var g = RoutedWindows(r0, r1, dp, i, ow, j, lanes, va, vb, relu: true, out _, out _, out _, out _,
                    out var s1, out var s2, out var s3, out var xWin);
                AddSums(j, g, xWin, vmean, ref sLow, ref sHigh, ref spLow, ref spHigh);
                Positions(s1, s2, s3, out var at0, out var at1, out var at2, out var at3);
                Interleave(d0 + 2 * j, lanes, g & at0, g & at1);
                Interleave(d1 + 2 * j, lanes, g & at2, g & at3);
            }
            if ((w & 1) != 0) d0[w - 1] = d1[w - 1] = 0f;
        }
        if ((h & 1) != 0) new Span<float>(routed + (h - 1) * stride, w).Clear();
        sum = Vector256.Sum(sLow) + Vector256.Sum(sHigh);
        sumProducts = Vector256.Sum(spLow) + Vector256.Sum(spHigh);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(float* x, float* dp, float* dx, int h, int w, float a, float b, bool relu, float ca, float cb,
        float cc)
    {
        int oh = h / 2, ow = w / 2;
        var va = Vector256.Create(a);
        var vb = Vector256.Create(b);
        var vA = Vector256.Create(ca);
        var vB = Vector256.Create(cb);
        var vC = Vector256.Create(cc);
        for (int i = 0; i < oh; i++)
        {
            float* r0 = x + 2 * i * w, r1 = r0 + w;
            float* d0 = dx + 2 * i * w, d1 = d0 + w;
            for (int j = 0; j < ow; j += Lanes)
            {
                int lanes = Math.Min(Lanes, ow - j);
                var g = RoutedWindows(r0, r1, dp, i, ow, j, lanes, va, vb, relu, out var x0, out var x1, out var x2, out var x3,
                    out var s1, out var s2, out var s3, out _);
                Positions(s1, s2, s3, out var at0, out var at1, out var at2, out var at3);
                var ag = vA * g;
                var e0 = Vector256.FusedMultiplyAdd(vB, x0, vC) + (ag & at0);
                var e1 = Vector256.FusedMultiplyAdd(vB, x1, vC) + (ag & at1);
                var e2 = Vector256.FusedMultiplyAdd(vB, x2, vC) + (ag & at2);
                var e3 = Vector256.FusedMultiplyAdd(vB, x3, vC) + (ag & at3);
                Interleave(d0 + 2 * j, lanes, e0, e1);
                Interleave(d1 + 2 * j, lanes, e2, e3);
            }
            if ((w & 1) != 0)
            {
                d0[w - 1] = MathF.FusedMultiplyAdd(cb, r0[w - 1], cc);
                d1[w - 1] = MathF.FusedMultiplyAdd(cb, r1[w - 1], cc);
            }
        }
        // An odd last row gets no pooled gradient: dx = fma(cb, x, cc), which Affine computes as fma(x, cb, cc), the
        // same single rounding of the same exact product.
        if ((h & 1) != 0) VectorMath.Affine(x + (h - 1) * w, dx + (h - 1) * w, w, cb, cc);
    }

    /// <summary>d[2k] = even[k], d[2k + 1] = odd[k] for k &lt; lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave(float* d, int lanes, Vector256<float> even, Vector256<float> odd)
    {
        var low = Avx.UnpackLow(even, odd);   // pairs 0, 1 | 4, 5
        var high = Avx.UnpackHigh(even, odd); // pairs 2, 3 | 6, 7
        Masked256.StoreFirst(d, 2 * lanes, Avx.Permute2x128(low, high, LowHalves));
        Masked256.StoreFirst(d + Lanes, 2 * lanes - Lanes, Avx.Permute2x128(low, high, HighHalves));
    }
}
