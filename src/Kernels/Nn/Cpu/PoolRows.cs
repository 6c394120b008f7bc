using Lshk.Kernels.Cpu;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// 2×2 max-pooling windows of one H×W plane, 16 windows at a time, optionally through an affine map and a ReLU
/// first (the fused batch norm + ReLU + pool). For each row pair, 32 input columns of both rows are loaded and
/// split into even and odd columns with <c>vpermt2ps</c>, giving the window's four values v0..v3 (row-major) in
/// four vectors; the first maximum is chosen with strict comparisons (ties keep the earlier position, PyTorch's
/// rule). Ragged row ends use masked loads and stores, so nothing outside the plane is touched. The value of
/// element x is fma(x, a, b), exactly as <see cref="VectorMath.Affine"/> computes it.
///
/// Without AVX-512 each method runs its 256-bit form (<see cref="PoolRows256"/>): 8 windows at a time, with the
/// same lane arithmetic and the sums kept in the same 16 lanes, so the results are bit for bit those of this code.
/// </summary>
internal static unsafe class PoolRows
{
    private static readonly Vector512<int> Even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    private static readonly Vector512<int> Odd = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    private static readonly Vector512<int> InterleaveLow = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    private static readonly Vector512<int> InterleaveHigh = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);

    /// <summary>Lanes [0, count) set (count may be ≤ 0 or ≥ 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Mask(int count) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();

    /// <summary>The four window values of 16 windows starting at output column j of row pair (r0, r1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Load(float* r0, float* r1, int j, int lanes, Vector512<float> a, Vector512<float> b,
        out Vector512<float> v0, out Vector512<float> v1, out Vector512<float> v2, out Vector512<float> v3,
        out Vector512<float> x0, out Vector512<float> x1, out Vector512<float> x2, out Vector512<float> x3)
    {
        var m0 = Mask(2 * lanes);
        var m1 = Mask(2 * lanes - 16);
        var zero = Vector512<float>.Zero;
        var p = Masked512.Load(r0 + 2 * j, m0, zero);
        var q = Masked512.Load(r0 + 2 * j + 16, m1, zero);
        x0 = Masked512.Permute2(p, Even, q);
        x1 = Masked512.Permute2(p, Odd, q);
        p = Masked512.Load(r1 + 2 * j, m0, zero);
        q = Masked512.Load(r1 + 2 * j + 16, m1, zero);
        x2 = Masked512.Permute2(p, Even, q);
        x3 = Masked512.Permute2(p, Odd, q);
        v0 = Vector512.FusedMultiplyAdd(x0, a, b);
        v1 = Vector512.FusedMultiplyAdd(x1, a, b);
        v2 = Vector512.FusedMultiplyAdd(x2, a, b);
        v3 = Vector512.FusedMultiplyAdd(x3, a, b);
    }

    /// <summary>y[i][j] = max over window (i, j) of fma(x, a, b), then max(·, 0) when <paramref name="relu"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Forward(float* x, int h, int w, float a, float b, bool relu, float* y)
    {
        if (Vector512.IsHardwareAccelerated) Forward512(x, h, w, a, b, relu, y);
        else PoolRows256.Forward(x, h, w, a, b, relu, y);
    }

    /// <summary><see cref="Forward"/> in Vector512 (the AVX-512 form).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Forward512(float* x, int h, int w, float a, float b, bool relu, float* y)
    {
        int oh = h / 2, ow = w / 2;
        var va = Vector512.Create(a);
        var vb = Vector512.Create(b);
        for (int i = 0; i < oh; i++)
        {
            float* r0 = x + 2 * i * w, r1 = r0 + w;
            for (int j = 0; j < ow; j += 16)
            {
                int lanes = Math.Min(16, ow - j);
                Load(r0, r1, j, lanes, va, vb, out var v0, out var v1, out var v2, out var v3, out _, out _, out _, out _);
                var m = Vector512.Max(Vector512.Max(v0, v1), Vector512.Max(v2, v3));
                if (relu) m = Vector512.Max(m, Vector512<float>.Zero);
                Masked512.Store(y + i * ow + j, Mask(lanes), m);
            }
        }
    }

    /// <summary>
    /// Chooses each window's first maximum: returns the gradient reaching it (dp, or 0 when the ReLU is closed) and
    /// the selection masks s1..s3 (position 1..3 won; none: position 0), plus the winning input value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Route(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3,
        Vector512<float> x0, Vector512<float> x1, Vector512<float> x2, Vector512<float> x3, Vector512<float> g, bool relu,
        out Vector512<float> s1, out Vector512<float> s2, out Vector512<float> s3, out Vector512<float> xWin)
    {
        var m = v0;
        xWin = x0;
        s1 = Vector512.GreaterThan(v1, m);
        m = Vector512.ConditionalSelect(s1, v1, m);
        xWin = Vector512.ConditionalSelect(s1, x1, xWin);
        s2 = Vector512.GreaterThan(v2, m);
        m = Vector512.ConditionalSelect(s2, v2, m);
        xWin = Vector512.ConditionalSelect(s2, x2, xWin);
        s3 = Vector512.GreaterThan(v3, m);
        m = Vector512.ConditionalSelect(s3, v3, m);
        xWin = Vector512.ConditionalSelect(s3, x3, xWin);
        return relu ? g & Vector512.GreaterThan(m, Vector512<float>.Zero) : g;
    }

    /// <summary>
    /// The 16 windows at output column j of pooled row i: their input values x0..x3, the pooled gradient routed to each
    /// window's first maximum (<see cref="Route"/>), its selection masks and winning input value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> RoutedWindows(float* r0, float* r1, float* dp, int i, int ow, int j, int lanes,
        Vector512<float> a, Vector512<float> b, bool relu, out Vector512<float> x0, out Vector512<float> x1,
        out Vector512<float> x2, out Vector512<float> x3, out Vector512<float> s1, out Vector512<float> s2,
        out Vector512<float> s3, out Vector512<float> xWin)
    {
        Load(r0, r1, j, lanes, a, b, out var v0, out var v1, out var v2, out var v3, out x0, out x1, out x2, out x3);
        var g = Masked512.Load(dp + i * ow + j, Mask(lanes), Vector512<float>.Zero);
        return Route(v0, v1, v2, v3, x0, x1, x2, x3, g, relu, out s1, out s2, out s3, out xWin);
    }

    /// <summary>Which of the four positions holds each window's gradient: the last selected (s3, else s2, else s1, else 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Positions(Vector512<float> s1, Vector512<float> s2, Vector512<float> s3, out Vector512<float> at0,
        out Vector512<float> at1, out Vector512<float> at2, out Vector512<float> at3)
    {
        at3 = s3;
        at2 = Vector512.AndNot(s2, s3);
        at1 = Vector512.AndNot(Vector512.AndNot(s1, s2), s3);
        at0 = ~(s1 | s2 | s3);
    }

    /// <summary>The four window positions' values of 16 windows back into rows d0 (e0, e1 interleaved) and d1 (e2, e3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreWindows(float* d0, float* d1, int j, int lanes, Vector512<float> e0, Vector512<float> e1,
        Vector512<float> e2, Vector512<float> e3)
    {
        var m0 = Mask(2 * lanes);
        var m1 = Mask(2 * lanes - 16);
        Masked512.Store(d0 + 2 * j, m0, Masked512.Permute2(e0, InterleaveLow, e1));
        Masked512.Store(d0 + 2 * j + 16, m1, Masked512.Permute2(e0, InterleaveHigh, e1));
        Masked512.Store(d1 + 2 * j, m0, Masked512.Permute2(e2, InterleaveLow, e3));
        Masked512.Store(d1 + 2 * j + 16, m1, Masked512.Permute2(e2, InterleaveHigh, e3));
    }

    /// <summary>
    /// Σ g and Σ g·(x_win − mean) over the plane's windows, g being the pooled gradient routed to each window's first
    /// maximum (zero where the ReLU is closed): batch norm's backward sums, without the sparse gradient ever stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sums(float* x, float* dp, int h, int w, float a, float b, float mean, bool relu, out float sum,
        out float sumProducts)
    {
        if (Vector512.IsHardwareAccelerated) Sums512(x, dp, h, w, a, b, mean, relu, out sum, out sumProducts);
        else PoolRows256.Sums(x, dp, h, w, a, b, mean, relu, out sum, out sumProducts);
    }

    /// <summary><see cref="Sums"/> in Vector512 (the AVX-512 form).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Sums512(float* x, float* dp, int h, int w, float a, float b, float mean, bool relu, out float sum,
        out float sumProducts)
    {
        int oh = h / 2, ow = w / 2;
        var va = Vector512.Create(a);
        var vb = Vector512.Create(b);
        var vmean = Vector512.Create(mean);
        Vector512<float> s = default, sp = default;
        for (int i = 0; i < oh; i++)
        {
            float* r0 = x + 2 * i * w, r1 = r0 + w;
            for (int j = 0; j < ow; j += 16)
            {
                int lanes = Math.Min(16, ow - j);
                var g = RoutedWindows(r0, r1, dp, i, ow, j, lanes, va, vb, relu, out _, out _, out _, out _, out _, out _,
                    out _, out var xWin);
                s += g;
                sp = Vector512.FusedMultiplyAdd(g, xWin - vmean, sp);
            }
        }
        sum = Vector512.Sum(s);
        sumProducts = Vector512.Sum(sp);
    }

    /// <summary>
    /// The routed gradient as a dense plane: g at each window's first maximum (zero where the ReLU is closed) and zero
    /// everywhere else, into <paramref name="routed"/> (h rows of w, <paramref name="stride"/> apart; what lies between
    /// the rows is left as it is), with <see cref="Sums"/>' two sums from the same
    /// routing, bit for bit: one pass where the first block's weight gradient needs both.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Routed(float* x, float* dp, float* routed, int stride, int h, int w, float a, float b, float mean,
        out float sum, out float sumProducts)
    {
        if (Vector512.IsHardwareAccelerated) Routed512(x, dp, routed, stride, h, w, a, b, mean, out sum, out sumProducts);
        else PoolRows256.Routed(x, dp, routed, stride, h, w, a, b, mean, out sum, out sumProducts);
    }

    /// <summary><see cref="Routed"/> in Vector512 (the AVX-512 form).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Routed512(float* x, float* dp, float* routed, int stride, int h, int w, float a, float b, float mean,
        out float sum, out float sumProducts)
    {
        int oh = h / 2, ow = w / 2;
        var va = Vector512.Create(a);
        var vb = Vector512.Create(b);
        var vmean = Vector512.Create(mean);
        Vector512<float> s = default, sp = default;
        for (int i = 0; i < oh; i++)
        {
            float* r0 = x + 2 * i * w, r1 = r0 + w;
            float* d0 = routed + 2 * i * stride, d1 = d0 + stride;
            for (int j = 0; j < ow; j += 16)
            {
                int lanes = Math.Min(16, ow - j);
                var g = RoutedWindows(r0, r1, dp, i, ow, j, lanes, va, vb, relu: true, out _, out _, out _, out _,
                    out var s1, out var s2, out var s3, out var xWin);
                s += g;
                sp = Vector512.FusedMultiplyAdd(g, xWin - vmean, sp);
                Positions(s1, s2, s3, out var at0, out var at1, out var at2, out var at3);
                StoreWindows(d0, d1, j, lanes, g & at0, g & at1, g & at2, g & at3);
            }
            if ((w & 1) != 0) d0[w - 1] = d1[w - 1] = 0f;
        }
        if ((h & 1) != 0) new Span<float>(routed + (h - 1) * stride, w).Clear();
        sum = Vector512.Sum(s);
        sumProducts = Vector512.Sum(sp);
    }

    /// <summary>
    /// dx = fma(B, x, C) everywhere, plus A·g at each window's first maximum (g the routed pooled gradient). With
    /// A = 1, B = C = 0 and no ReLU this is plain max-pool backward; inputs outside every window get fma(B, x, C).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Backward(float* x, float* dp, float* dx, int h, int w, float a, float b, bool relu, float ca, float cb,
        float cc)
    {
        if (Vector512.IsHardwareAccelerated) Backward512(x, dp, dx, h, w, a, b, relu, ca, cb, cc);
        else PoolRows256.Backward(x, dp, dx, h, w, a, b, relu, ca, cb, cc);
    }

    /// <summary><see cref="Backward"/> in Vector512 (the AVX-512 form).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Backward512(float* x, float* dp, float* dx, int h, int w, float a, float b, bool relu, float ca, float cb,
        float cc)
    {
        int oh = h / 2, ow = w / 2;
        var va = Vector512.Create(a);
        var vb = Vector512.Create(b);
        var vA = Vector512.Create(ca);
        var vB = Vector512.Create(cb);
        var vC = Vector512.Create(cc);
        for (int i = 0; i < oh; i++)
        {
            float* r0 = x + 2 * i * w, r1 = r0 + w;
            float* d0 = dx + 2 * i * w, d1 = d0 + w;
            for (int j = 0; j < ow; j += 16)
            {
                int lanes = Math.Min(16, ow - j);
                var g = RoutedWindows(r0, r1, dp, i, ow, j, lanes, va, vb, relu, out var x0, out var x1, out var x2, out var x3,
                    out var s1, out var s2, out var s3, out _);
                Positions(s1, s2, s3, out var at0, out var at1, out var at2, out var at3);
                var ag = vA * g;
                StoreWindows(d0, d1, j, lanes, Vector512.FusedMultiplyAdd(vB, x0, vC) + (ag & at0),
                    Vector512.FusedMultiplyAdd(vB, x1, vC) + (ag & at1), Vector512.FusedMultiplyAdd(vB, x2, vC) + (ag & at2),
                    Vector512.FusedMultiplyAdd(vB, x3, vC) + (ag & at3));
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
}
