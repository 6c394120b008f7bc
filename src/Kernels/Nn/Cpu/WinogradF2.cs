using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// The transforms of Winograd's F(2×2, 3×3) for <see cref="WinogradConv"/>: each 2×2 block of outputs comes from a 4×4
/// input window as Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, 16 points, with
/// Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1], Aᵀ = [1 1 1 0; 0 1 −1 −1].
/// Every coefficient is 0, ±1 or ±½, so the transforms add no rounding beyond their sums: the most accurate of the
/// tile sizes. The backward's two transforms are the exact adjoints of the forward's. Eight channels a vector
/// (Vector256, so the AVX2 and AVX-512 forms give the same bits), on channels-last buffers laid out by
/// <see cref="WinogradGeometry"/>; the F(4×4) counterpart is <see cref="WinogradF4"/>.
/// </summary>
internal static unsafe class WinogradF2
{
    public const int Tile = 2;
    private const int Window = 4;
    private const int ChannelStep = 8;

    /// <summary>
    /// V[ξ][t − t0][c] = (Bᵀ d B)[ξ] for the tiles t0 … t0 + count − 1 and every input channel c, where d is the
    /// tile's 4×4 window of the zero-padded, channels-last input starting at <paramref name="tileIn"/>[t].
    /// </summary>
    public static void InputTransform(in WinogradGeometry g, float* hwc, int* tileIn, float* v, int t0, int count)
    {
        long xiStride = g.VXi;
        long row = g.InRow;
        int cp = g.CP;
        for (int t = t0; t < t0 + count; t++)
        {
            float* window = hwc + tileIn[t];
            float* dst = v + (long)(t - t0) * g.CP;
            for (int c = 0; c < g.Cin; c += ChannelStep)
            {
                float* p0 = window + c, p1 = p0 + row, p2 = p1 + row, p3 = p2 + row;
                // R = Bᵀ d (rows)
                var r00 = Vector256.Load(p0) - Vector256.Load(p2);
                var r01 = Vector256.Load(p0 + cp) - Vector256.Load(p2 + cp);
                var r02 = Vector256.Load(p0 + 2 * cp) - Vector256.Load(p2 + 2 * cp);
                var r03 = Vector256.Load(p0 + 3 * cp) - Vector256.Load(p2 + 3 * cp);
                var r10 = Vector256.Load(p1) + Vector256.Load(p2);
                var r11 = Vector256.Load(p1 + cp) + Vector256.Load(p2 + cp);
                var r12 = Vector256.Load(p1 + 2 * cp) + Vector256.Load(p2 + 2 * cp);
                var r13 = Vector256.Load(p1 + 3 * cp) + Vector256.Load(p2 + 3 * cp);
                var r20 = Vector256.Load(p2) - Vector256.Load(p1);
                var r21 = Vector256.Load(p2 + cp) - Vector256.Load(p1 + cp);
                var r22 = Vector256.Load(p2 + 2 * cp) - Vector256.Load(p1 + 2 * cp);
                var r23 = Vector256.Load(p2 + 3 * cp) - Vector256.Load(p1 + 3 * cp);
                var r30 = Vector256.Load(p1) - Vector256.Load(p3);
                var r31 = Vector256.Load(p1 + cp) - Vector256.Load(p3 + cp);
                var r32 = Vector256.Load(p1 + 2 * cp) - Vector256.Load(p3 + 2 * cp);
                var r33 = Vector256.Load(p1 + 3 * cp) - Vector256.Load(p3 + 3 * cp);
                // V = R B (columns, the same combination)
                float* o = dst + c;
                StoreRow(o, xiStride, 0, r00, r01, r02, r03);
                StoreRow(o, xiStride, 1, r10, r11, r12, r13);
                StoreRow(o, xiStride, 2, r20, r21, r22, r23);
                StoreRow(o, xiStride, 3, r30, r31, r32, r33);
            }
        }
    }

    /// <summary>Row i of V = R·B: points ξ = 4i … 4i + 3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* o, long xiStride, int i, Vector256<float> a0, Vector256<float> a1,
        Vector256<float> a2, Vector256<float> a3)
    {
        float* p = o + Window * i * xiStride;
        (a0 - a2).Store(p);
        (a1 + a2).Store(p + xiStride);
        (a2 - a1).Store(p + 2 * xiStride);
        (a1 - a3).Store(p + 3 * xiStride);
    }

    /// <summary>
    /// The 2×2 block of tile t at <paramref name="tileOut"/>[t] = (Aᵀ M A) + bias, for the tiles t0 … t0 + count − 1,
    /// into a channels-last output buffer that holds whole tiles.
    /// </summary>
    public static void OutputTransform(in WinogradGeometry g, float* m, float* bias, float* hwc, int* tileOut, int t0, int count)
    {
        long xiStride = g.MXi;
        int rowLength = g.OutRow;
        for (int t = t0; t < t0 + count; t++)
        {
            float* src = m + (long)(t - t0) * g.KP;
            float* dst = hwc + tileOut[t];
            for (int k = 0; k < g.Cout; k += ChannelStep)
            {
                float* p = src + k;
                // S = Aᵀ M (rows)
                var s00 = Vector256.Load(p) + Vector256.Load(p + 4 * xiStride) + Vector256.Load(p + 8 * xiStride);
                var s01 = Vector256.Load(p + xiStride) + Vector256.Load(p + 5 * xiStride) + Vector256.Load(p + 9 * xiStride);
                var s02 = Vector256.Load(p + 2 * xiStride) + Vector256.Load(p + 6 * xiStride) + Vector256.Load(p + 10 * xiStride);
                var s03 = Vector256.Load(p + 3 * xiStride) + Vector256.Load(p + 7 * xiStride) + Vector256.Load(p + 11 * xiStride);
                var s10 = Vector256.Load(p + 4 * xiStride) - Vector256.Load(p + 8 * xiStride) - Vector256.Load(p + 12 * xiStride);
                var s11 = Vector256.Load(p + 5 * xiStride) - Vector256.Load(p + 9 * xiStride) - Vector256.Load(p + 13 * xiStride);
                var s12 = Vector256.Load(p + 6 * xiStride) - Vector256.Load(p + 10 * xiStride) - Vector256.Load(p + 14 * xiStride);
                var s13 = Vector256.Load(p + 7 * xiStride) - Vector256.Load(p + 11 * xiStride) - Vector256.Load(p + 15 * xiStride);
                var b = bias == null ? Vector256<float>.Zero : Vector256.Load(bias + k);
                float* q = dst + k;
                (s00 + s01 + s02 + b).Store(q);
                (s01 - s02 - s03 + b).Store(q + g.KP);
                (s10 + s11 + s12 + b).Store(q + rowLength);
                (s11 - s12 - s13 + b).Store(q + rowLength + g.KP);
            }
        }
    }

    /// <summary>
    /// dM[ξ][t − t0][k] = (A dY Aᵀ)[ξ] for the tiles t0 … t0 + count − 1, from each tile's 2×2 block of the
    /// channels-last output gradient (zero outside the image): the adjoint of <see cref="OutputTransform"/>.
    /// </summary>
    public static void OutputGradientTransform(in WinogradGeometry g, float* hwc, int* tileOut, float* dm, int t0, int count)
    {
        int rowLength = g.OutRow;
        long xiStride = g.MXi;
        for (int t = t0; t < t0 + count; t++)
        {
            float* src = hwc + tileOut[t];
            float* dst = dm + (long)(t - t0) * g.KP;
            for (int k = 0; k < g.Cout; k += ChannelStep)
            {
                float* q = src + k;
                var y00 = Vector256.Load(q);
                var y01 = Vector256.Load(q + g.KP);
                var y10 = Vector256.Load(q + rowLength);
                var y11 = Vector256.Load(q + rowLength + g.KP);
                // P = A dY (rows), A = [1 0; 1 1; 1 −1; 0 −1]
                var p10 = y00 + y10; var p11 = y01 + y11;
                var p20 = y00 - y10; var p21 = y01 - y11;
                float* o = dst + k;
                StoreAdjointRow(o, xiStride, 0, y00, y01);
                StoreAdjointRow(o, xiStride, 1, p10, p11);
                StoreAdjointRow(o, xiStride, 2, p20, p21);
                StoreAdjointRow(o, xiStride, 3, -y10, -y11);
            }
        }
    }

    /// <summary>Row i of dM = P·Aᵀ from row i of P = A·dY: points ξ = 4i … 4i + 3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreAdjointRow(float* o, long xiStride, int i, Vector256<float> a0, Vector256<float> a1)
    {
        float* p = o + Window * i * xiStride;
        a0.Store(p);
        (a0 + a1).Store(p + xiStride);
        (a0 - a1).Store(p + 2 * xiStride);
        (-a1).Store(p + 3 * xiStride);
    }

    /// <summary>
    /// B dV Bᵀ for the tiles t0 … t0 + count − 1 added onto each tile's 4×4 window (windows overlap by two rows and
    /// columns): the adjoint of <see cref="InputTransform"/>, into a zero-bordered channels-last buffer.
    /// </summary>
    public static void InputGradientTransform(in WinogradGeometry g, float* dv, float* hwc, int* tileIn, int t0, int count)
    {
        long xiStride = g.VXi;
        long row = g.InRow;
        int cp = g.CP;
        for (int t = t0; t < t0 + count; t++)
        {
            float* src = dv + (long)(t - t0) * g.CP;
            float* window = hwc + tileIn[t];
            for (int c = 0; c < g.Cin; c += ChannelStep)
            {
                float* p = src + c;
                // Q = B dV (rows), B = [1 0 0 0; 0 1 −1 1; −1 1 1 0; 0 0 0 −1]
                Vector256<float> q00, q01, q02, q03, q10, q11, q12, q13, q20, q21, q22, q23, q30, q31, q32, q33;
                {
                    var a0 = Vector256.Load(p); var a1 = Vector256.Load(p + xiStride);
                    var a2 = Vector256.Load(p + 2 * xiStride); var a3 = Vector256.Load(p + 3 * xiStride);
                    var b0 = Vector256.Load(p + 4 * xiStride); var b1 = Vector256.Load(p + 5 * xiStride);
                    var b2 = Vector256.Load(p + 6 * xiStride); var b3 = Vector256.Load(p + 7 * xiStride);
                    var c0 = Vector256.Load(p + 8 * xiStride); var c1 = Vector256.Load(p + 9 * xiStride);
                    var c2 = Vector256.Load(p + 10 * xiStride); var c3 = Vector256.Load(p + 11 * xiStride);
                    var d0 = Vector256.Load(p + 12 * xiStride); var d1 = Vector256.Load(p + 13 * xiStride);
                    var d2 = Vector256.Load(p + 14 * xiStride); var d3 = Vector256.Load(p + 15 * xiStride);
                    q00 = a0; q01 = a1; q02 = a2; q03 = a3;
                    q10 = b0 - c0 + d0; q11 = b1 - c1 + d1; q12 = b2 - c2 + d2; q13 = b3 - c3 + d3;
                    q20 = b0 + c0 - a0; q21 = b1 + c1 - a1; q22 = b2 + c2 - a2; q23 = b3 + c3 - a3;
                    q30 = -d0; q31 = -d1; q32 = -d2; q33 = -d3;
                }
                // dd = Q Bᵀ (columns, the same combination), added onto the window
                float* w0 = window + c;
                AddAdjointRow(w0, cp, q00, q01, q02, q03);
                AddAdjointRow(w0 + row, cp, q10, q11, q12, q13);
                AddAdjointRow(w0 + 2 * row, cp, q20, q21, q22, q23);
                AddAdjointRow(w0 + 3 * row, cp, q30, q31, q32, q33);
            }
        }
    }

    /// <summary>One window row of dd = Q·Bᵀ: [q0, q1 − q2 + q3, q1 + q2 − q0, −q3] added at four consecutive positions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddAdjointRow(float* w, int cp, Vector256<float> q0, Vector256<float> q1, Vector256<float> q2,
        Vector256<float> q3)
    {
        (Vector256.Load(w) + q0).Store(w);
        (Vector256.Load(w + cp) + (q1 - q2 + q3)).Store(w + cp);
        (Vector256.Load(w + 2 * cp) + (q1 + q2 - q0)).Store(w + 2 * cp);
        (Vector256.Load(w + 3 * cp) - q3).Store(w + 3 * cp);
    }

    /// <summary>t = G g Gᵀ for one 3×3 kernel g (row-major), t 4×4 row-major.</summary>
    public static void KernelTransform(float* g, float* t)
    {
        float* r = stackalloc float[12]; // G g: 4 × 3
        for (int j = 0; j < 3; j++)
        {
            float g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
            r[j] = g0;
            r[3 + j] = 0.5f * (g0 + g1 + g2);
            r[6 + j] = 0.5f * (g0 - g1 + g2);
            r[9 + j] = g2;
        }
        for (int i = 0; i < Window; i++)
        {
            float a0 = r[3 * i], a1 = r[3 * i + 1], a2 = r[3 * i + 2];
            t[4 * i] = a0;
            t[4 * i + 1] = 0.5f * (a0 + a1 + a2);
            t[4 * i + 2] = 0.5f * (a0 - a1 + a2);
            t[4 * i + 3] = a2;
        }
    }

    /// <summary>dg = Gᵀ dU G for one channel pair (dU 4×4, dg 3×3, row-major): the adjoint of <see cref="KernelTransform"/>.</summary>
    public static void KernelGradient(double* d, double* dg)
    {
        double* r = stackalloc double[12]; // Gᵀ dU: 3 × 4
        for (int j = 0; j < Window; j++)
        {
            double a0 = d[j], a1 = d[4 + j], a2 = d[8 + j], a3 = d[12 + j];
            r[j] = a0 + 0.5 * (a1 + a2);
            r[4 + j] = 0.5 * (a1 - a2);
            r[8 + j] = 0.5 * (a1 + a2) + a3;
        }
        for (int i = 0; i < 3; i++)
        {
            double a0 = r[4 * i], a1 = r[4 * i + 1], a2 = r[4 * i + 2], a3 = r[4 * i + 3];
            dg[3 * i] = a0 + 0.5 * (a1 + a2);
            dg[3 * i + 1] = 0.5 * (a1 - a2);
            dg[3 * i + 2] = 0.5 * (a1 + a2) + a3;
        }
    }
}
