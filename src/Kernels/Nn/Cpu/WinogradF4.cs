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
/// transforms are the exact adjoints of the forward's. Eight channels a vector, each 2-D transform as two passes of
/// the 1-D one through a small buffer of vectors; layouts as <see cref="WinogradF2"/>.
/// </summary>
internal static unsafe class WinogradF4
{
    public const int Tile = 4;
    private const int Window = 6;
    private const int ChannelStep = 8;

    private static Vector256<float> Two => Vector256.Create(2f);
    private static Vector256<float> Four => Vector256.Create(4f);
    private static Vector256<float> Five => Vector256.Create(5f);
    private static Vector256<float> Eight => Vector256.Create(8f);

    // ------------------------------------------------------------------ the 1-D maps

    /// <summary>v = Bᵀ·d for one window line, written to o[0], o[s], … o[5s].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputLine(Vector256<float> d0, Vector256<float> d1, Vector256<float> d2, Vector256<float> d3,
        Vector256<float> d4, Vector256<float> d5, Vector256<float>* o, int s)
    {
        var t1 = Vector256.FusedMultiplyAdd(-Four, d2, d4);  // d4 − 4·d2
        var t2 = Vector256.FusedMultiplyAdd(-Four, d1, d3);  // d3 − 4·d1
        var t3 = d4 - d2;
        var t4 = Two * (d3 - d1);
        o[0] = Vector256.FusedMultiplyAdd(Four, d0, Vector256.FusedMultiplyAdd(-Five, d2, d4));
        o[s] = t1 + t2;
        o[2 * s] = t1 - t2;
        o[3 * s] = t3 + t4;
        o[4 * s] = t3 - t4;
        o[5 * s] = Vector256.FusedMultiplyAdd(Four, d1, Vector256.FusedMultiplyAdd(-Five, d3, d5));
    }

    /// <summary>y = Aᵀ·m for one line of points: four outputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputLine(Vector256<float> m0, Vector256<float> m1, Vector256<float> m2, Vector256<float> m3,
        Vector256<float> m4, Vector256<float> m5, out Vector256<float> y0, out Vector256<float> y1,
        out Vector256<float> y2, out Vector256<float> y3)
    {
        var a = m1 + m2;
        var b = m1 - m2;
        var c = m3 + m4;
        var d = m3 - m4;
        y0 = m0 + a + c;
        y1 = Vector256.FusedMultiplyAdd(Two, d, b);
        y2 = Vector256.FusedMultiplyAdd(Four, c, a);
        y3 = Vector256.FusedMultiplyAdd(Eight, d, b) + m5;
    }

    /// <summary>p = A·y for one line of four outputs' gradients (the adjoint of <see cref="OutputLine"/>), to o[0] … o[5s].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputGradientLine(Vector256<float> y0, Vector256<float> y1, Vector256<float> y2,
        Vector256<float> y3, Vector256<float>* o, int s)
    {
        var e = y0 + y2;
        var f = y1 + y3;
        var g = Vector256.FusedMultiplyAdd(Four, y2, y0);
        var h = Vector256.FusedMultiplyAdd(Eight, y3, Two * y1);
        o[0] = y0;
        o[s] = e + f;
        o[2 * s] = e - f;
        o[3 * s] = g + h;
        o[4 * s] = g - h;
        o[5 * s] = y3;
    }

    /// <summary>d = B·v for one line of points (the adjoint of <see cref="InputLine"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputGradientLine(Vector256<float> v0, Vector256<float> v1, Vector256<float> v2,
        Vector256<float> v3, Vector256<float> v4, Vector256<float> v5, out Vector256<float> d0, out Vector256<float> d1,
        out Vector256<float> d2, out Vector256<float> d3, out Vector256<float> d4, out Vector256<float> d5)
    {
        var s12 = v1 + v2;
        var e12 = v2 - v1;
        var s34 = v3 + v4;
        var e34 = v4 - v3;
        d0 = Four * v0;
        d1 = Vector256.FusedMultiplyAdd(Four, e12 + v5, Two * e34);                        // 4(v2 − v1) + 2(v4 − v3) + 4v5
        d2 = -Vector256.FusedMultiplyAdd(Five, v0, Vector256.FusedMultiplyAdd(Four, s12, s34)); // −5v0 − 4(v1 + v2) − (v3 + v4)
        d3 = -Vector256.FusedMultiplyAdd(Two, e34, Vector256.FusedMultiplyAdd(Five, v5, e12));  // (v1 − v2) + 2(v3 − v4) − 5v5
        d4 = v0 + s12 + s34;
        d5 = v5;
    }

    // ------------------------------------------------------------------ the tile transforms

    /// <summary>
    /// V[ξ][t − t0][c] = (Bᵀ d B)[ξ] for the tiles t0 … t0 + count − 1 and every input channel c, where d is the
    /// tile's 6×6 window of the zero-padded, channels-last input starting at <paramref name="tileIn"/>[t].
    /// </summary>
    public static void InputTransform(in WinogradGeometry g, float* hwc, int* tileIn, float* v, int t0, int count)
    {
        long xiStride = g.VXi;
        long row = g.InRow;
        int cp = g.CP;
        var r = stackalloc Vector256<float>[Window * Window]; // R = Bᵀ d, row-major
        var line = stackalloc Vector256<float>[Window];
        for (int t = t0; t < t0 + count; t++)
        {
            float* window = hwc + tileIn[t];
            float* dst = v + (long)(t - t0) * g.CP;
            for (int c = 0; c < g.Cin; c += ChannelStep)
            {
                for (int j = 0; j < Window; j++)
                {
                    float* p = window + c + j * cp;
                    InputLine(Vector256.Load(p), Vector256.Load(p + row), Vector256.Load(p + 2 * row),
                        Vector256.Load(p + 3 * row), Vector256.Load(p + 4 * row), Vector256.Load(p + 5 * row), r + j, Window);
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
    public static void OutputTransform(in WinogradGeometry g, float* m, float* bias, float* hwc, int* tileOut, int t0, int count)
    {
        long xiStride = g.MXi;
        int rowLength = g.OutRow, kp = g.KP;
        var s = stackalloc Vector256<float>[Tile * Window]; // S = Aᵀ M, 4 × 6 row-major
        for (int t = t0; t < t0 + count; t++)
        {
            float* src = m + (long)(t - t0) * g.KP;
            float* dst = hwc + tileOut[t];
            for (int k = 0; k < g.Cout; k += ChannelStep)
            {
                float* p = src + k;
                for (int l = 0; l < Window; l++)
                {
                    float* q = p + l * xiStride;
                    OutputLine(Vector256.Load(q), Vector256.Load(q + Window * xiStride), Vector256.Load(q + 2 * Window * xiStride),
                        Vector256.Load(q + 3 * Window * xiStride), Vector256.Load(q + 4 * Window * xiStride),
                        Vector256.Load(q + 5 * Window * xiStride), out s[l], out s[Window + l], out s[2 * Window + l], out s[3 * Window + l]);
                }
                var b = bias == null ? Vector256<float>.Zero : Vector256.Load(bias + k);
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
    /// channels-last output gradient (zero outside the image): the adjoint of <see cref="OutputTransform"/>.
    /// </summary>
    public static void OutputGradientTransform(in WinogradGeometry g, float* hwc, int* tileOut, float* dm, int t0, int count)
    {
        int rowLength = g.OutRow, kp = g.KP;
        long xiStride = g.MXi;
        var p = stackalloc Vector256<float>[Window * Tile]; // P = A dY, 6 × 4 row-major
        var line = stackalloc Vector256<float>[Window];
        for (int t = t0; t < t0 + count; t++)
        {
            float* src = hwc + tileOut[t];
            float* dst = dm + (long)(t - t0) * g.KP;
            for (int k = 0; k < g.Cout; k += ChannelStep)
            {
                for (int b = 0; b < Tile; b++)
                {
                    float* q = src + k + b * kp;
                    OutputGradientLine(Vector256.Load(q), Vector256.Load(q + rowLength), Vector256.Load(q + 2 * rowLength),
                        Vector256.Load(q + 3 * rowLength), p + b, Tile);
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
    /// columns): the adjoint of <see cref="InputTransform"/>, into a zero-bordered channels-last buffer.
    /// </summary>
    public static void InputGradientTransform(in WinogradGeometry g, float* dv, float* hwc, int* tileIn, int t0, int count)
    {
        long xiStride = g.VXi;
        long row = g.InRow;
        int cp = g.CP;
        var q = stackalloc Vector256<float>[Window * Window]; // Q = B dV, row-major
        for (int t = t0; t < t0 + count; t++)
        {
            float* src = dv + (long)(t - t0) * g.CP;
            float* window = hwc + tileIn[t];
            for (int c = 0; c < g.Cin; c += ChannelStep)
            {
                float* p = src + c;
                for (int l = 0; l < Window; l++)
                {
                    float* a = p + l * xiStride;
                    InputGradientLine(Vector256.Load(a), Vector256.Load(a + Window * xiStride), Vector256.Load(a + 2 * Window * xiStride),
                        Vector256.Load(a + 3 * Window * xiStride), Vector256.Load(a + 4 * Window * xiStride),
                        Vector256.Load(a + 5 * Window * xiStride),
                        out q[l], out q[Window + l], out q[2 * Window + l], out q[3 * Window + l], out q[4 * Window + l], out q[5 * Window + l]);
                }
                for (int i = 0; i < Window; i++)
                {
                    var qi = q + Window * i;
                    InputGradientLine(qi[0], qi[1], qi[2], qi[3], qi[4], qi[5],
                        out var d0, out var d1, out var d2, out var d3, out var d4, out var d5);
                    float* w = window + c + i * row;
                    (Vector256.Load(w) + d0).Store(w);
                    (Vector256.Load(w + cp) + d1).Store(w + cp);
                    (Vector256.Load(w + 2 * cp) + d2).Store(w + 2 * cp);
                    (Vector256.Load(w + 3 * cp) + d3).Store(w + 3 * cp);
                    (Vector256.Load(w + 4 * cp) + d4).Store(w + 4 * cp);
                    (Vector256.Load(w + 5 * cp) + d5).Store(w + 5 * cp);
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
