using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// The transforms of Winograd's F(4×4, 3×3) for <see cref="WinogradConv"/>: each 4×4 block of outputs comes from a
/// 6×6 input window as Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, 36 points for 16 outputs (2.25 multiplications per output and
/// channel pair, against F(2×2)'s 4 and the direct form's 9). The interpolation points 0, ±1, ±2 and ∞ (Lavin &amp;
/// Gray, 2016) give
/// <code>
/// Bᵀ = [4  0 −5  0 1 0;      G = [ ¼    0    0  ;     Aᵀ = [1 1  1 1  1 0;
///       0 −4 −4  1 1 0;           −⅙   −⅙   −⅙  ;           0 1 −1 2 −2 0;
///       0  4 −4 −1 1 0;           −⅙    ⅙   −⅙  ;           0 1  1 4  4 0;
///       0 −2 −1  2 1 0;           1/24 1/12  ⅙  ;           0 1 −1 8 −8 1]
///       0  2 −1 −2 1 0;           1/24 −1/12 ⅙  ;
///       0  4  0 −5 0 1]           0     0    1  ]
/// </code>
/// Larger coefficients than F(2×2)'s mean more rounding: about ten times F(2×2)'s error, a few parts in a million of
/// the outputs' scale for 64 channels (<c>CpuConv2dTests</c> holds both to the float64 reference). The backward's
/// transforms are the exact adjoints of the forward's. Eight or sixteen channels a vector (<see cref="FloatLanes"/>),
/// each 2-D transform as two passes of the 1-D one through a small buffer of vectors; layouts as
/// <see cref="WinogradF2"/>.
/// </summary>
internal static unsafe class WinogradF4
{
    public const int Tile = 4;
    private const int Window = 6;


    // ------------------------------------------------------------------ the 1-D maps

    /// <summary>v = Bᵀ·d for one window line, written to o[0], o[s], … o[5s].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputLine<TV>(TV d0, TV d1, TV d2, TV d3,
        TV d4, TV d5, TV* o, int s) where TV : unmanaged, IFloatLanes<TV>
    {
        var t1 = TV.MultiplyAdd(-TV.Broadcast(4f), d2, d4);  // d4 − 4·d2
        var t2 = TV.MultiplyAdd(-TV.Broadcast(4f), d1, d3);  // d3 − 4·d1
        var t3 = d4 - d2;
        var t4 = TV.Broadcast(2f) * (d3 - d1);
        o[0] = TV.MultiplyAdd(TV.Broadcast(4f), d0, TV.MultiplyAdd(-TV.Broadcast(5f), d2, d4));
        o[s] = t1 + t2;
        o[2 * s] = t1 - t2;
        o[3 * s] = t3 + t4;
        o[4 * s] = t3 - t4;
        o[5 * s] = TV.MultiplyAdd(TV.Broadcast(4f), d1, TV.MultiplyAdd(-TV.Broadcast(5f), d3, d5));
    }

    /// <summary>y = Aᵀ·m for one line of points: four outputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputLine<TV>(TV m0, TV m1, TV m2, TV m3,
        TV m4, TV m5, out TV y0, out TV y1,
        out TV y2, out TV y3) where TV : unmanaged, IFloatLanes<TV>
    {
        var a = m1 + m2;
        var b = m1 - m2;
        var c = m3 + m4;
        var d = m3 - m4;
        y0 = m0 + a + c;
        y1 = TV.MultiplyAdd(TV.Broadcast(2f), d, b);
        y2 = TV.MultiplyAdd(TV.Broadcast(4f), c, a);
        y3 = TV.MultiplyAdd(TV.Broadcast(8f), d, b) + m5;
    }

    /// <summary>p = A·y for one line of four outputs' gradients (the adjoint of <see cref="OutputLine"/>), to o[0] … o[5s].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputGradientLine<TV>(TV y0, TV y1, TV y2,
        TV y3, TV* o, int s) where TV : unmanaged, IFloatLanes<TV>
    {
        var e = y0 + y2;
        var f = y1 + y3;
        var g = TV.MultiplyAdd(TV.Broadcast(4f), y2, y0);
        var h = TV.MultiplyAdd(TV.Broadcast(8f), y3, TV.Broadcast(2f) * y1);
        o[0] = y0;
        o[s] = e + f;
        o[2 * s] = e - f;
        o[3 * s] = g + h;
        o[4 * s] = g - h;
        o[5 * s] = y3;
    }

    /// <summary>d = B·v for one line of points (the adjoint of <see cref="InputLine"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputGradientLine<TV>(TV v0, TV v1, TV v2,
        TV v3, TV v4, TV v5, out TV d0, out TV d1,
        out TV d2, out TV d3, out TV d4, out TV d5) where TV : unmanaged, IFloatLanes<TV>
    {
        var s12 = v1 + v2;
        var e12 = v2 - v1;
        var s34 = v3 + v4;
        var e34 = v4 - v3;
        d0 = TV.Broadcast(4f) * v0;
        d1 = TV.MultiplyAdd(TV.Broadcast(4f), e12 + v5, TV.Broadcast(2f) * e34);                        // 4(v2 − v1) + 2(v4 − v3) + 4v5
        d2 = -TV.MultiplyAdd(TV.Broadcast(5f), v0, TV.MultiplyAdd(TV.Broadcast(4f), s12, s34)); // −5v0 − 4(v1 + v2) − (v3 + v4)
        d3 = -TV.MultiplyAdd(TV.Broadcast(2f), e34, TV.MultiplyAdd(TV.Broadcast(5f), v5, e12));  // (v1 − v2) + 2(v3 − v4) − 5v5
        d4 = v0 + s12 + s34;
        d5 = v5;
    }

    // ------------------------------------------------------------------ the tile transforms

    // Each is generic over the vector width (FloatLanes): the lanes are channels, so the width changes no value;
    // WinogradConv chooses it.

    /// <summary>
    /// V[ξ][t − t0][c] = (Bᵀ d B)[ξ] for the tiles t0 … t0 + count − 1 and every input channel c, where d is the
    /// tile's 6×6 window of the zero-padded, channels-last input starting at <paramref name="tileIn"/>[t].
    /// </summary>
    internal static void InputTransform<TV>(in WinogradGeometry g, float* hwc, int* tileIn, float* v, int t0, int count)
        where TV : unmanaged, IFloatLanes<TV>
    {
        long xiStride = g.VXi;
        long row = g.InRow;
        int cp = g.CP;
        var r = stackalloc TV[Window * Window]; // R = Bᵀ d, row-major
        var line = stackalloc TV[Window];
        for (int t = t0; t < t0 + count; t++)
        {
            float* window = hwc + tileIn[t];
            float* dst = v + (long)(t - t0) * g.CP;
            for (int c = 0; c < g.Cin; c += TV.Count)
            {
                for (int j = 0; j < Window; j++)
                {
                    float* p = window + c + j * cp;
                    InputLine(TV.Load(p), TV.Load(p + row), TV.Load(p + 2 * row),
                        TV.Load(p + 3 * row), TV.Load(p + 4 * row), TV.Load(p + 5 * row), r + j, Window);
                }
                for (int i = 0; i < Window; i++)
                {
                    var ri = r + Window * i;
                    InputLine(ri[0], ri[1], ri[2], ri[3], ri[4], ri[5], line, 1);
                    float* o = dst + c + Window * i * xiStride;
                    for (int l = 0; l < Window; l++) line[l].Store(o + l * xiStride);
                }
            }
        }
    }

    /// <summary>
    /// The 4×4 block of tile t at <paramref name="tileOut"/>[t] = (Aᵀ M A) + bias, for the tiles t0 … t0 + count − 1,
    /// into a channels-last output buffer that holds whole tiles.
    /// </summary>
    internal static void OutputTransform<TV>(in WinogradGeometry g, float* m, float* bias, float* hwc, int* tileOut, int t0, int count)
        where TV : unmanaged, IFloatLanes<TV>
    {
        long xiStride = g.MXi;
        int rowLength = g.OutRow, kp = g.KP;
        var s = stackalloc TV[Tile * Window]; // S = Aᵀ M, 4 × 6 row-major
        for (int t = t0; t < t0 + count; t++)
        {
            float* src = m + (long)(t - t0) * g.KP;
            float* dst = hwc + tileOut[t];
            for (int k = 0; k < g.Cout; k += TV.Count)
            {
                float* p = src + k;
                for (int l = 0; l < Window; l++)
                {
                    float* q = p + l * xiStride;
                    OutputLine(TV.Load(q), TV.Load(q + Window * xiStride), TV.Load(q + 2 * Window * xiStride),
                        TV.Load(q + 3 * Window * xiStride), TV.Load(q + 4 * Window * xiStride),
                        TV.Load(q + 5 * Window * xiStride), out s[l], out s[Window + l], out s[2 * Window + l], out s[3 * Window + l]);
                }
                var b = bias == null ? TV.Zero : TV.Load(bias + k);
                for (int a = 0; a < Tile; a++)
                {
                    var sa = s + Window * a;
                    OutputLine(sa[0], sa[1], sa[2], sa[3], sa[4], sa[5], out var y0, out var y1, out var y2, out var y3);
                    float* o = dst + k + a * rowLength;
                    (y0 + b).Store(o);
                    (y1 + b).Store(o + kp);
                    (y2 + b).Store(o + 2 * kp);
                    (y3 + b).Store(o + 3 * kp);
                }
            }
        }
    }

    /// <summary>
    /// dM[ξ][t − t0][k] = (A dY Aᵀ)[ξ] for the tiles t0 … t0 + count − 1, from each tile's 4×4 block of the
    /// channels-last output gradient (zero outside the image): the adjoint of <see cref="OutputTransform{TV}"/>.
    /// </summary>
    internal static void OutputGradientTransform<TV>(in WinogradGeometry g, float* hwc, int* tileOut, float* dm, int t0, int count)
        where TV : unmanaged, IFloatLanes<TV>
    {
        int rowLength = g.OutRow, kp = g.KP;
        long xiStride = g.MXi;
        var p = stackalloc TV[Window * Tile]; // P = A dY, 6 × 4 row-major
        var line = stackalloc TV[Window];
        for (int t = t0; t < t0 + count; t++)
        {
            float* src = hwc + tileOut[t];
            float* dst = dm + (long)(t - t0) * g.KP;
            for (int k = 0; k < g.Cout; k += TV.Count)
            {
                for (int b = 0; b < Tile; b++)
                {
                    float* q = src + k + b * kp;
                    OutputGradientLine(TV.Load(q), TV.Load(q + rowLength), TV.Load(q + 2 * rowLength),
                        TV.Load(q + 3 * rowLength), p + b, Tile);
                }
                for (int i = 0; i < Window; i++)
                {
                    var pi = p + Tile * i;
                    OutputGradientLine(pi[0], pi[1], pi[2], pi[3], line, 1);
                    float* o = dst + k + Window * i * xiStride;
                    for (int l = 0; l < Window; l++) line[l].Store(o + l * xiStride);
                }
            }
        }
    }

    /// <summary>
    /// B dV Bᵀ for the tiles t0 … t0 + count − 1 added onto each tile's 6×6 window (windows overlap by two rows and
    /// columns): the adjoint of <see cref="InputTransform{TV}"/>, into a zero-bordered channels-last buffer.
    /// </summary>
    internal static void InputGradientTransform<TV>(in WinogradGeometry g, float* dv, float* hwc, int* tileIn, int t0, int count)
        where TV : unmanaged, IFloatLanes<TV>
    {
        long xiStride = g.VXi;
        long row = g.InRow;
        int cp = g.CP;
        var q = stackalloc TV[Window * Window]; // Q = B dV, row-major
        for (int t = t0; t < t0 + count; t++)
        {
            float* src = dv + (long)(t - t0) * g.CP;
            float* window = hwc + tileIn[t];
            for (int c = 0; c < g.Cin; c += TV.Count)
            {
                float* p = src + c;
                for (int l = 0; l < Window; l++)
                {
                    float* a = p + l * xiStride;
                    InputGradientLine(TV.Load(a), TV.Load(a + Window * xiStride), TV.Load(a + 2 * Window * xiStride),
                        TV.Load(a + 3 * Window * xiStride), TV.Load(a + 4 * Window * xiStride),
                        TV.Load(a + 5 * Window * xiStride),
                        out q[l], out q[Window + l], out q[2 * Window + l], out q[3 * Window + l], out q[4 * Window + l], out q[5 * Window + l]);
                }
                for (int i = 0; i < Window; i++)
                {
                    var qi = q + Window * i;
                    InputGradientLine(qi[0], qi[1], qi[2], qi[3], qi[4], qi[5],
                        out var d0, out var d1, out var d2, out var d3, out var d4, out var d5);
                    float* w = window + c + i * row;
                    (TV.Load(w) + d0).Store(w);
                    (TV.Load(w + cp) + d1).Store(w + cp);
                    (TV.Load(w + 2 * cp) + d2).Store(w + 2 * cp);
                    (TV.Load(w + 3 * cp) + d3).Store(w + 3 * cp);
                    (TV.Load(w + 4 * cp) + d4).Store(w + 4 * cp);
                    (TV.Load(w + 5 * cp) + d5).Store(w + 5 * cp);
                }
            }
        }
    }

    // ------------------------------------------------------------------ the kernels

    /// <summary>G, 6 × 3 row-major.</summary>
    private static ReadOnlySpan<double> G =>
    [
        1.0 / 4, 0, 0,
        -1.0 / 6, -1.0 / 6, -1.0 / 6,
        -1.0 / 6, 1.0 / 6, -1.0 / 6,
        1.0 / 24, 1.0 / 12, 1.0 / 6,
        1.0 / 24, -1.0 / 12, 1.0 / 6,
        0, 0, 1,
    ];

    /// <summary>
    /// t = G g Gᵀ for one 3×3 kernel g (row-major), t 6×6 row-major; in double, rounded once. Written out rather than
    /// looped over <see cref="G"/>: it runs for every channel pair of every call (4,096 of them in Conv-4).
    /// </summary>
    public static void KernelTransform(float* g, float* t)
    {
        double* r = stackalloc double[Window * 3]; // G g: 6 × 3
        for (int j = 0; j < 3; j++)
        {
            double g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
            GLine(g0, g1, g2, r + j, 3);
        }
        double* line = stackalloc double[Window];
        for (int i = 0; i < Window; i++)
        {
            GLine(r[3 * i], r[3 * i + 1], r[3 * i + 2], line, 1);
            for (int l = 0; l < Window; l++) t[Window * i + l] = (float)line[l];
        }
    }

    /// <summary>o[0], o[s], … o[5s] = G·(g0, g1, g2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GLine(double g0, double g1, double g2, double* o, int s)
    {
        double even = g0 + g2, outer = g0 / 24 + g2 / 6;
        o[0] = g0 / 4;
        o[s] = -(even + g1) / 6;
        o[2 * s] = -(even - g1) / 6;
        o[3 * s] = outer + g1 / 12;
        o[4 * s] = outer - g1 / 12;
        o[5 * s] = g2;
    }

    /// <summary>dg = Gᵀ dU G for one channel pair (dU 6×6, dg 3×3, row-major): the adjoint of <see cref="KernelTransform"/>.</summary>
    public static void KernelGradient(double* d, double* dg)
    {
        var G = WinogradF4.G;
        double* r = stackalloc double[3 * Window]; // Gᵀ dU: 3 × 6
        for (int a = 0; a < 3; a++)
            for (int l = 0; l < Window; l++)
            {
                double sum = 0;
                for (int i = 0; i < Window; i++) sum += G[3 * i + a] * d[Window * i + l];
                r[Window * a + l] = sum;
            }
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
            {
                double sum = 0;
                for (int l = 0; l < Window; l++) sum += r[Window * a + l] * G[3 * l + b];
                dg[3 * a + b] = sum;
            }
    }
}
