using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// The transforms of Winograd's F(7×7, 3×3) for <see cref="WinogradConv"/>: each 7×7 block of outputs comes from a
/// 9×9 input window as Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, 81 points for 49 outputs (1.65 multiplications per output and
/// channel pair, against F(4×4)'s 2.25). Its use is the maps whose side is a multiple of 7, which F(4×4) covers
/// with wasted tiles: Omniglot's and MNIST's 14×14 and 7×7 (Conv-4's second and third blocks), where F(4×4) computes
/// 16×16 and 8×8 outputs for 14×14 and 7×7 and F(7×7) computes exactly those: 324 instead of 576 points per channel
/// pair on a 14×14 map, 81 instead of 144 on a 7×7 one. The products are what those blocks spend most on, and they run
/// near the cores' multiply-add rate already, so fewer of them is what is left to gain.
///
/// The interpolation points 0, ±1, ±2, ±½, ¼ and ∞ keep every coefficient of Bᵀ and Aᵀ a power-of-two fraction, exact
/// in float32 (G, with divisors such as 2,835, is applied in double and rounded once per weight). The price of
/// the larger tile is rounding: about 5·10⁻⁵ of the outputs' scale for 64 channels (median over random windows, at
/// most a few 10⁻⁴), some 25 times F(4×4)'s, and below what float16 products would round. <c>CpuConv2dTests</c>
/// holds it to the float64 reference with its own tolerance, the gradients are exact adjoints of the computed forward
/// (<c>F7BackwardIsTheAdjointOfItsForward</c>), and the 12-minute training run is measured before and after
/// (bench/RESULTS.md). The matrices, solved exactly (in rationals)
/// from the points, so that Aᵀ[(G g) ⊙ (Bᵀ d)] is the 1-D correlation of d and g for every d and g:
/// <code>
/// Bᵀ (9 × 9):
///       1/4      -1  -21/16    21/4   21/16   -21/4    -1/4       1       0
///         0    -1/4     3/4   33/16  -51/16    -9/2     3/4       1       0
///         0     1/4    -5/4   -1/16   85/16      -4    -5/4       1       0
///         0    -1/8    7/16     7/8  -35/16    -7/4     7/4       1       0
///         0     1/8   -9/16    -3/8   45/16    -3/4    -9/4       1       0
///         0    -1/2       1    37/8    -5/4   -41/8     1/4       1       0
///         0     1/2      -3    27/8    15/4   -39/8    -3/4       1       0
///         0      -1       0    21/4       0   -21/4       0       1       0
///         0     1/4      -1  -21/16    21/4   21/16   -21/4    -1/4       1
/// Aᵀ (7 × 9):
///         1       1       1       1       1       1       1       1       0
///         0       1      -1       2      -2     1/2    -1/2     1/4       0
///         0       1       1       4       4     1/4     1/4    1/16       0
///         0       1      -1       8      -8     1/8    -1/8    1/64       0
///         0       1       1      16      16    1/16    1/16   1/256       0
///         0       1      -1      32     -32    1/32   -1/32  1/1024       0
///         0       1       1      64      64    1/64    1/64  1/4096       1
/// </code>
/// Each 1-D map below is written out from those matrices (zeros skipped, ±1 as additions), eight or sixteen channels
/// a vector (<see cref="FloatLanes"/>); each 2-D transform is two passes of the 1-D one through small buffers of
/// vectors, laid out as <see cref="WinogradF4"/>'s.
/// </summary>
internal static unsafe class WinogradF7
{
    public const int Tile = 7;
    private const int Window = 9;


    // ------------------------------------------------------------------ the 1-D maps

    /// <summary>o[i·s] = (Bᵀ·x)[i] for one window line, x[k·xs] its nine values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputLine<TV>(TV x0, TV x1, TV x2, TV x3, TV x4, TV x5, TV x6, TV x7, TV x8, TV* o, int s)
        where TV : unmanaged, IFloatLanes<TV>
    {
        TV a; // each output's chain, innermost term first
        a = -x1 + x7; a = TV.MultiplyAdd(TV.Broadcast(0.25f), x0, a);
        a = TV.MultiplyAdd(TV.Broadcast(-1.3125f), x2, a); a = TV.MultiplyAdd(TV.Broadcast(5.25f), x3, a);
        a = TV.MultiplyAdd(TV.Broadcast(1.3125f), x4, a); a = TV.MultiplyAdd(TV.Broadcast(-5.25f), x5, a);
        a = TV.MultiplyAdd(TV.Broadcast(-0.25f), x6, a);
        o[0] = a;
        a = x7; a = TV.MultiplyAdd(TV.Broadcast(-0.25f), x1, a); a = TV.MultiplyAdd(TV.Broadcast(0.75f), x2, a);
        a = TV.MultiplyAdd(TV.Broadcast(2.0625f), x3, a); a = TV.MultiplyAdd(TV.Broadcast(-3.1875f), x4, a);
        a = TV.MultiplyAdd(TV.Broadcast(-4.5f), x5, a); a = TV.MultiplyAdd(TV.Broadcast(0.75f), x6, a);
        o[1 * s] = a;
        a = x7; a = TV.MultiplyAdd(TV.Broadcast(0.25f), x1, a); a = TV.MultiplyAdd(TV.Broadcast(-1.25f), x2, a);
        a = TV.MultiplyAdd(TV.Broadcast(-0.0625f), x3, a); a = TV.MultiplyAdd(TV.Broadcast(5.3125f), x4, a);
        a = TV.MultiplyAdd(TV.Broadcast(-4.0f), x5, a); a = TV.MultiplyAdd(TV.Broadcast(-1.25f), x6, a);
        o[2 * s] = a;
        a = x7; a = TV.MultiplyAdd(TV.Broadcast(-0.125f), x1, a); a = TV.MultiplyAdd(TV.Broadcast(0.4375f), x2, a);
        a = TV.MultiplyAdd(TV.Broadcast(0.875f), x3, a); a = TV.MultiplyAdd(TV.Broadcast(-2.1875f), x4, a);
        a = TV.MultiplyAdd(TV.Broadcast(-1.75f), x5, a); a = TV.MultiplyAdd(TV.Broadcast(1.75f), x6, a);
        o[3 * s] = a;
        a = x7; a = TV.MultiplyAdd(TV.Broadcast(0.125f), x1, a); a = TV.MultiplyAdd(TV.Broadcast(-0.5625f), x2, a);
        a = TV.MultiplyAdd(TV.Broadcast(-0.375f), x3, a); a = TV.MultiplyAdd(TV.Broadcast(2.8125f), x4, a);
        a = TV.MultiplyAdd(TV.Broadcast(-0.75f), x5, a); a = TV.MultiplyAdd(TV.Broadcast(-2.25f), x6, a);
        o[4 * s] = a;
        a = x2 + x7; a = TV.MultiplyAdd(TV.Broadcast(-0.5f), x1, a); a = TV.MultiplyAdd(TV.Broadcast(4.625f), x3, a);
        a = TV.MultiplyAdd(TV.Broadcast(-1.25f), x4, a); a = TV.MultiplyAdd(TV.Broadcast(-5.125f), x5, a);
        a = TV.MultiplyAdd(TV.Broadcast(0.25f), x6, a);
        o[5 * s] = a;
        a = x7; a = TV.MultiplyAdd(TV.Broadcast(0.5f), x1, a); a = TV.MultiplyAdd(TV.Broadcast(-3.0f), x2, a);
        a = TV.MultiplyAdd(TV.Broadcast(3.375f), x3, a); a = TV.MultiplyAdd(TV.Broadcast(3.75f), x4, a);
        a = TV.MultiplyAdd(TV.Broadcast(-4.875f), x5, a); a = TV.MultiplyAdd(TV.Broadcast(-0.75f), x6, a);
        o[6 * s] = a;
        o[7 * s] = TV.MultiplyAdd(TV.Broadcast(-5.25f), x5, TV.MultiplyAdd(TV.Broadcast(5.25f), x3, -x1 + x7));
        a = -x2 + x8; a = TV.MultiplyAdd(TV.Broadcast(0.25f), x1, a);
        a = TV.MultiplyAdd(TV.Broadcast(-1.3125f), x3, a); a = TV.MultiplyAdd(TV.Broadcast(5.25f), x4, a);
        a = TV.MultiplyAdd(TV.Broadcast(1.3125f), x5, a); a = TV.MultiplyAdd(TV.Broadcast(-5.25f), x6, a);
        a = TV.MultiplyAdd(TV.Broadcast(-0.25f), x7, a);
        o[8 * s] = a;
    }

    /// <summary>o[a·s] = (Aᵀ·x)[a]: seven outputs from one line of nine points.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputLine<TV>(TV x0, TV x1, TV x2, TV x3, TV x4, TV x5, TV x6, TV x7, TV x8, TV* o, int s)
        where TV : unmanaged, IFloatLanes<TV>
    {
        // the points come in pairs ±p, so each pair enters as its sum (even powers) and difference (odd powers)
        TV s1 = x1 + x2, d1 = x1 - x2, s2 = x3 + x4, d2 = x3 - x4, s3 = x5 + x6, d3 = x5 - x6;
        o[0] = x0 + s1 + s2 + s3 + x7;
        o[s] = TV.MultiplyAdd(TV.Broadcast(0.25f), x7, TV.MultiplyAdd(TV.Broadcast(0.5f), d3,
            TV.MultiplyAdd(TV.Broadcast(2f), d2, d1)));
        o[2 * s] = TV.MultiplyAdd(TV.Broadcast(0.0625f), x7, TV.MultiplyAdd(TV.Broadcast(0.25f), s3,
            TV.MultiplyAdd(TV.Broadcast(4f), s2, s1)));
        o[3 * s] = TV.MultiplyAdd(TV.Broadcast(0.015625f), x7, TV.MultiplyAdd(TV.Broadcast(0.125f), d3,
            TV.MultiplyAdd(TV.Broadcast(8f), d2, d1)));
        o[4 * s] = TV.MultiplyAdd(TV.Broadcast(0.00390625f), x7, TV.MultiplyAdd(TV.Broadcast(0.0625f), s3,
            TV.MultiplyAdd(TV.Broadcast(16f), s2, s1)));
        o[5 * s] = TV.MultiplyAdd(TV.Broadcast(0.0009765625f), x7, TV.MultiplyAdd(TV.Broadcast(0.03125f), d3,
            TV.MultiplyAdd(TV.Broadcast(32f), d2, d1)));
        o[6 * s] = TV.MultiplyAdd(TV.Broadcast(0.000244140625f), x7, TV.MultiplyAdd(TV.Broadcast(0.015625f), s3,
            TV.MultiplyAdd(TV.Broadcast(64f), s2, s1))) + x8;
    }

    /// <summary>o[i·s] = (A·x)[i]: the adjoint of <see cref="OutputLine{TV}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputGradientLine<TV>(TV x0, TV x1, TV x2, TV x3, TV x4, TV x5, TV x6, TV* o, int s)
        where TV : unmanaged, IFloatLanes<TV>
    {
        // the rows of ±p share their even-power part e and odd-power part o: ±p gives e ± o
        TV e1 = x0 + x2 + x4 + x6, o1 = x1 + x3 + x5;
        TV e2 = TV.MultiplyAdd(TV.Broadcast(64f), x6, TV.MultiplyAdd(TV.Broadcast(16f), x4,
            TV.MultiplyAdd(TV.Broadcast(4f), x2, x0)));
        TV o2 = TV.MultiplyAdd(TV.Broadcast(32f), x5, TV.MultiplyAdd(TV.Broadcast(8f), x3, TV.Broadcast(2f) * x1));
        TV e3 = TV.MultiplyAdd(TV.Broadcast(0.015625f), x6, TV.MultiplyAdd(TV.Broadcast(0.0625f), x4,
            TV.MultiplyAdd(TV.Broadcast(0.25f), x2, x0)));
        TV o3 = TV.MultiplyAdd(TV.Broadcast(0.03125f), x5, TV.MultiplyAdd(TV.Broadcast(0.125f), x3,
            TV.Broadcast(0.5f) * x1));
        o[0] = x0;
        o[s] = e1 + o1;
        o[2 * s] = e1 - o1;
        o[3 * s] = e2 + o2;
        o[4 * s] = e2 - o2;
        o[5 * s] = e3 + o3;
        o[6 * s] = e3 - o3;
        o[7 * s] = TV.MultiplyAdd(TV.Broadcast(0.000244140625f), x6, TV.MultiplyAdd(TV.Broadcast(0.0009765625f), x5,
            TV.MultiplyAdd(TV.Broadcast(0.00390625f), x4,
            TV.MultiplyAdd(TV.Broadcast(0.015625f), x3, TV.MultiplyAdd(TV.Broadcast(0.0625f), x2,
                TV.MultiplyAdd(TV.Broadcast(0.25f), x1, x0))))));
        o[8 * s] = x6;
    }

    /// <summary>o[k·s] = (B·x)[k]: the adjoint of <see cref="InputLine{TV}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputGradientLine<TV>(TV x0, TV x1, TV x2, TV x3, TV x4, TV x5, TV x6, TV x7, TV x8, TV* o,
        int s)
        where TV : unmanaged, IFloatLanes<TV>
    {
        TV a; // each output's chain, innermost term first
        o[0] = TV.Broadcast(0.25f) * x0;
        a = -x0 - x7; a = TV.MultiplyAdd(TV.Broadcast(-0.25f), x1, a); a = TV.MultiplyAdd(TV.Broadcast(0.25f), x2, a);
        a = TV.MultiplyAdd(TV.Broadcast(-0.125f), x3, a); a = TV.MultiplyAdd(TV.Broadcast(0.125f), x4, a);
        a = TV.MultiplyAdd(TV.Broadcast(-0.5f), x5, a); a = TV.MultiplyAdd(TV.Broadcast(0.5f), x6, a);
        a = TV.MultiplyAdd(TV.Broadcast(0.25f), x8, a);
        o[1 * s] = a;
        a = x5 - x8; a = TV.MultiplyAdd(TV.Broadcast(-1.3125f), x0, a); a = TV.MultiplyAdd(TV.Broadcast(0.75f), x1, a);
        a = TV.MultiplyAdd(TV.Broadcast(-1.25f), x2, a); a = TV.MultiplyAdd(TV.Broadcast(0.4375f), x3, a);
        a = TV.MultiplyAdd(TV.Broadcast(-0.5625f), x4, a); a = TV.MultiplyAdd(TV.Broadcast(-3.0f), x6, a);
        o[2 * s] = a;
        a = TV.Broadcast(5.25f) * x0; a = TV.MultiplyAdd(TV.Broadcast(2.0625f), x1, a);
        a = TV.MultiplyAdd(TV.Broadcast(-0.0625f), x2, a); a = TV.MultiplyAdd(TV.Broadcast(0.875f), x3, a);
        a = TV.MultiplyAdd(TV.Broadcast(-0.375f), x4, a); a = TV.MultiplyAdd(TV.Broadcast(4.625f), x5, a);
        a = TV.MultiplyAdd(TV.Broadcast(3.375f), x6, a); a = TV.MultiplyAdd(TV.Broadcast(5.25f), x7, a);
        a = TV.MultiplyAdd(TV.Broadcast(-1.3125f), x8, a);
        o[3 * s] = a;
        a = TV.Broadcast(1.3125f) * x0; a = TV.MultiplyAdd(TV.Broadcast(-3.1875f), x1, a);
        a = TV.MultiplyAdd(TV.Broadcast(5.3125f), x2, a); a = TV.MultiplyAdd(TV.Broadcast(-2.1875f), x3, a);
        a = TV.MultiplyAdd(TV.Broadcast(2.8125f), x4, a); a = TV.MultiplyAdd(TV.Broadcast(-1.25f), x5, a);
        a = TV.MultiplyAdd(TV.Broadcast(3.75f), x6, a); a = TV.MultiplyAdd(TV.Broadcast(5.25f), x8, a);
        o[4 * s] = a;
        a = TV.Broadcast(-5.25f) * x0; a = TV.MultiplyAdd(TV.Broadcast(-4.5f), x1, a);
        a = TV.MultiplyAdd(TV.Broadcast(-4.0f), x2, a); a = TV.MultiplyAdd(TV.Broadcast(-1.75f), x3, a);
        a = TV.MultiplyAdd(TV.Broadcast(-0.75f), x4, a); a = TV.MultiplyAdd(TV.Broadcast(-5.125f), x5, a);
        a = TV.MultiplyAdd(TV.Broadcast(-4.875f), x6, a); a = TV.MultiplyAdd(TV.Broadcast(-5.25f), x7, a);
        a = TV.MultiplyAdd(TV.Broadcast(1.3125f), x8, a);
        o[5 * s] = a;
        a = TV.Broadcast(-0.25f) * x0; a = TV.MultiplyAdd(TV.Broadcast(0.75f), x1, a);
        a = TV.MultiplyAdd(TV.Broadcast(-1.25f), x2, a); a = TV.MultiplyAdd(TV.Broadcast(1.75f), x3, a);
        a = TV.MultiplyAdd(TV.Broadcast(-2.25f), x4, a); a = TV.MultiplyAdd(TV.Broadcast(0.25f), x5, a);
        a = TV.MultiplyAdd(TV.Broadcast(-0.75f), x6, a); a = TV.MultiplyAdd(TV.Broadcast(-5.25f), x8, a);
        o[6 * s] = a;
        o[7 * s] = TV.MultiplyAdd(TV.Broadcast(-0.25f), x8, x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7);
        o[8 * s] = x8;
    }

    // ------------------------------------------------------------------ the tile transforms

    // Each is generic over the vector width (FloatLanes), which WinogradConv chooses; layouts as WinogradF4's.

    /// <summary>As <see cref="WinogradF4.InputTransform{TV}"/>, for 9×9 windows.</summary>
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
                    InputLine(TV.Load(p), TV.Load(p + row), TV.Load(p + 2 * row), TV.Load(p + 3 * row),
                        TV.Load(p + 4 * row),
                        TV.Load(p + 5 * row), TV.Load(p + 6 * row), TV.Load(p + 7 * row), TV.Load(p + 8 * row),
                            r + j, Window);
                }
                for (int i = 0; i < Window; i++)
                {
                    var ri = r + Window * i;
                    InputLine(ri[0], ri[1], ri[2], ri[3], ri[4], ri[5], ri[6], ri[7], ri[8], line, 1);
                    float* o = dst + c + Window * i * xiStride;
                    for (int l = 0; l < Window; l++) line[l].Store(o + l * xiStride);
                }
            }
        }
    }

    /// <summary>As <see cref="WinogradF4.OutputTransform{TV}"/>, for 7×7 blocks.</summary>
    internal static void OutputTransform<TV>(in WinogradGeometry g, float* m, float* bias, float* hwc, int* tileOut,
        int t0, int count)
        where TV : unmanaged, IFloatLanes<TV>
    {
        long xiStride = g.MXi;
        int rowLength = g.OutRow, kp = g.KP;
        var s = stackalloc TV[Tile * Window]; // S = Aᵀ M, 7 × 9 row-major
        var line = stackalloc TV[Tile];
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
                    long step = Window * xiStride;
                    OutputLine(TV.Load(q), TV.Load(q + step), TV.Load(q + 2 * step), TV.Load(q + 3 * step),
                        TV.Load(q + 4 * step),
                        TV.Load(q + 5 * step), TV.Load(q + 6 * step), TV.Load(q + 7 * step), TV.Load(q + 8 * step),
                            s + l, Window);
                }
                var b = bias == null ? TV.Zero : TV.Load(bias + k);
                for (int a = 0; a < Tile; a++)
                {
                    var sa = s + Window * a;
                    OutputLine(sa[0], sa[1], sa[2], sa[3], sa[4], sa[5], sa[6], sa[7], sa[8], line, 1);
                    float* o = dst + k + a * rowLength;
                    for (int j = 0; j < Tile; j++) (line[j] + b).Store(o + j * kp);
                }
            }
        }
    }

    /// <summary>As <see cref="WinogradF4.OutputGradientTransform{TV}"/>, for 7×7 blocks.</summary>
    internal static void OutputGradientTransform<TV>(in WinogradGeometry g, float* hwc, int* tileOut, float* dm,
        int t0, int count)
        where TV : unmanaged, IFloatLanes<TV>
    {
        int rowLength = g.OutRow, kp = g.KP;
        long xiStride = g.MXi;
        var p = stackalloc TV[Window * Tile]; // P = A dY, 9 × 7 row-major
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
                        TV.Load(q + 3 * rowLength),
                        TV.Load(q + 4 * rowLength), TV.Load(q + 5 * rowLength), TV.Load(q + 6 * rowLength), p + b,
                            Tile);
                }
                for (int i = 0; i < Window; i++)
                {
                    var pi = p + Tile * i;
                    OutputGradientLine(pi[0], pi[1], pi[2], pi[3], pi[4], pi[5], pi[6], line, 1);
                    float* o = dst + k + Window * i * xiStride;
                    for (int l = 0; l < Window; l++) line[l].Store(o + l * xiStride);
                }
            }
        }
    }

    /// <summary>As <see cref="WinogradF4.InputGradientTransform{TV}"/>, for 9×9 windows (overlapping by two rows and
    /// columns).</summary>
    internal static void InputGradientTransform<TV>(in WinogradGeometry g, float* dv, float* hwc, int* tileIn,
        int t0, int count)
        where TV : unmanaged, IFloatLanes<TV>
    {
        long xiStride = g.VXi;
        long row = g.InRow;
        int cp = g.CP;
        var q = stackalloc TV[Window * Window]; // Q = B dV, row-major
        var line = stackalloc TV[Window];
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
                    long step = Window * xiStride;
                    InputGradientLine(TV.Load(a), TV.Load(a + step), TV.Load(a + 2 * step), TV.Load(a + 3 * step),
                        TV.Load(a + 4 * step),
                        TV.Load(a + 5 * step), TV.Load(a + 6 * step), TV.Load(a + 7 * step), TV.Load(a + 8 * step),
                            q + l, Window);
                }
                for (int i = 0; i < Window; i++)
                {
                    var qi = q + Window * i;
                    InputGradientLine(qi[0], qi[1], qi[2], qi[3], qi[4], qi[5], qi[6], qi[7], qi[8], line, 1);
                    float* w = window + c + i * row;
                    for (int j = 0; j < Window; j++) (TV.Load(w + j * cp) + line[j]).Store(w + j * cp);
                }
            }
        }
    }

    // ------------------------------------------------------------------ the kernels

    /// <summary>G, 9 × 3 row-major (exact fractions, evaluated in double).</summary>
    private static ReadOnlySpan<double> G =>
    [
        4, 0, 0,
        -8.0 / 27, -8.0 / 27, -8.0 / 27,
        8.0 / 45, -8.0 / 45, 8.0 / 45,
        2.0 / 315, 4.0 / 315, 8.0 / 315,
        -2.0 / 405, 4.0 / 405, -8.0 / 405,
        128.0 / 45, 64.0 / 45, 32.0 / 45,
        -128.0 / 135, 64.0 / 135, -32.0 / 135,
        -16384.0 / 2835, -4096.0 / 2835, -1024.0 / 2835,
        0, 0, 1,
    ];

    /// <summary>
    /// t = G g Gᵀ for one 3×3 kernel g (row-major), t 9×9 row-major; in double, rounded once. It runs for every
    /// channel pair twice a step (the forward's U and the backward's Uᵀ), so G's rows are read once into locals.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void KernelTransform(float* g, float* t)
    {
        var G = WinogradF7.G;
        double* r = stackalloc double[Window * 3]; // G g: 9 × 3
        double* gt = stackalloc double[3 * Window]; // Gᵀ, 3 × 9
        for (int i = 0; i < Window; i++)
        {
            gt[i] = G[3 * i]; gt[Window + i] = G[3 * i + 1]; gt[2 * Window + i] = G[3 * i + 2];
        }
        double g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4], g5 = g[5], g6 = g[6], g7 = g[7], g8 = g[8];
        for (int i = 0; i < Window; i++)
        {
            double a = gt[i], b = gt[Window + i], c = gt[2 * Window + i];
            r[3 * i] = a * g0 + b * g3 + c * g6;
            r[3 * i + 1] = a * g1 + b * g4 + c * g7;
            r[3 * i + 2] = a * g2 + b * g5 + c * g8;
        }
        for (int i = 0; i < Window; i++)
        {
            double a = r[3 * i], b = r[3 * i + 1], c = r[3 * i + 2];
            float* ti = t + Window * i;
            for (int l = 0; l < Window; l++) ti[l] = (float)(a * gt[l] + b * gt[Window + l] + c * gt[2 * Window + l]);
        }
    }

    /// <summary>
    /// <see cref="KernelTransform"/> of four kernels at once, in Vector256&lt;double&gt; lanes with the same operations
    /// in the same order (so the same bits): the kernels at g, g + stride, g + 2·stride and g + 3·stride, their
    /// transforms to t[ξ·xiStride + 0 … 3] (four consecutive channels of U).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void KernelTransform4(float* g, long stride, float* t, long xiStride)
    {
        var G = WinogradF7.G;
        var r = stackalloc Vector256<double>[Window * 3]; // G g: 9 × 3, four kernels a lane
        var k = stackalloc Vector256<double>[9];
        for (int j = 0; j < 9; j++) k[j] = Vector256.Create((double)g[j], g[stride + j], g[2 * stride + j],
            g[3 * stride + j]);
        for (int i = 0; i < Window; i++)
        {
            var a = Vector256.Create(G[3 * i]);
            var b = Vector256.Create(G[3 * i + 1]);
            var c = Vector256.Create(G[3 * i + 2]);
            r[3 * i] = a * k[0] + b * k[3] + c * k[6];
            r[3 * i + 1] = a * k[1] + b * k[4] + c * k[7];
            r[3 * i + 2] = a * k[2] + b * k[5] + c * k[8];
        }
        for (int i = 0; i < Window; i++)
        {
            Vector256<double> a = r[3 * i], b = r[3 * i + 1], c = r[3 * i + 2];
            for (int l = 0; l < Window; l++)
            {
                var v = a * Vector256.Create(G[3 * l]) + b * Vector256.Create(G[3 * l + 1]) + c * Vector256.Create(G[3 * l + 2]);
                Vector128.Narrow(v.GetLower(), v.GetUpper()).Store(t + (Window * i + l) * xiStride);
            }
        }
    }

    /// <summary>dg = Gᵀ dU G for one channel pair (dU 9×9, dg 3×3, row-major): the adjoint of <see
    /// cref="KernelTransform"/>.</summary>
    public static void KernelGradient(double* d, double* dg)
    {
        var G = WinogradF7.G;
        double* r = stackalloc double[3 * Window]; // Gᵀ dU: 3 × 9
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
