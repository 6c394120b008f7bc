using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// The register-blocked inner loops of the convolutions: an 8×32 tile of results kept in 16 Vector512 accumulators
/// while a shared dimension is walked, each step being 2 vector loads, 8 broadcasts and 16 fused multiply-adds.
/// Each method is call-free and stores its tile to memory at the end, so the JIT keeps the accumulators in registers.
///
/// Without AVX-512 (<see cref="Vector512"/> then runs as pairs of 256-bit halves through memory, about 10× slower)
/// the same 8×32 tile is computed in four 4×16 quarters of 8 Vector256 accumulators each, which with the two loaded
/// vectors and a broadcast fit AVX2's 16 registers. Every result is the same chain of fused multiply-adds over the
/// shared dimension in the same order, so both forms give identical bits.
/// </summary>
internal static unsafe class ConvMicroKernels
{
    public const int Rows = 8;
    public const int Cols = 32;

    /// <summary>
    /// c[i·ldc + j] = Σ_t a[t·8 + i] · b[offsets[t] + j] for i &lt; 8, j &lt; 32: the convolution tile. a is one
    /// packed weight panel (tap-major, 8 output channels per tap); b[offsets[t] + j] is input column j shifted to
    /// tap t (an implicit im2col).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GatherTile(float* a, float* b, int* offsets, int taps, float* c, int ldc)
    {
        if (Vector512.IsHardwareAccelerated) GatherTile512(a, b, offsets, taps, c, ldc);
        else GatherTile256(a, b, offsets, taps, c, ldc);
    }

    /// <summary><see cref="GatherTile"/> in Vector512 (the AVX-512 form).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void GatherTile512(float* a, float* b, int* offsets, int taps, float* c, int ldc)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default,
            c60 = default, c61 = default, c70 = default, c71 = default;
        for (int t = 0; t < taps; t++)
        {
            float* bt = b + offsets[t];
            var b0 = Vector512.Load(bt);
            var b1 = Vector512.Load(bt + 16);
            float* at = a + t * Rows;
            var x = Vector512.Create(at[0]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(at[1]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(at[2]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(at[3]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(at[4]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(at[5]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(at[6]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(at[7]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
        }
        c00.Store(c); c01.Store(c + 16); c += ldc;
        c10.Store(c); c11.Store(c + 16); c += ldc;
        c20.Store(c); c21.Store(c + 16); c += ldc;
        c30.Store(c); c31.Store(c + 16); c += ldc;
        c40.Store(c); c41.Store(c + 16); c += ldc;
        c50.Store(c); c51.Store(c + 16); c += ldc;
        c60.Store(c); c61.Store(c + 16); c += ldc;
        c70.Store(c); c71.Store(c + 16);
    }

    /// <summary>
    /// c[i·ldc + j] += Σ_{k &lt; count} rows[i][k] · b[k·ldb + j] for i &lt; 8, j &lt; 32: the weight-gradient tile,
    /// where rows[i] is tap i's shifted input row and b holds the output gradient transposed (column-major).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AccumulateTile(float** rows, float* b, int ldb, int count, float* c, int ldc)
    {
        if (Vector512.IsHardwareAccelerated) AccumulateTile512(rows, b, ldb, count, c, ldc, fromZero: false);
        else AccumulateTile256(rows, b, ldb, count, c, ldc, fromZero: false);
    }

    /// <summary>
    /// c[i·ldc + j] = Σ_{k &lt; count} rows[i][k] · b[k·ldb + j]: <see cref="AccumulateTile"/> over a tile that starts
    /// at zero (what it held is ignored). The Winograd products use it with rows = tiles and columns = channels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ProductTile(float** rows, float* b, int ldb, int count, float* c, int ldc)
    {
        if (Vector512.IsHardwareAccelerated) AccumulateTile512(rows, b, ldb, count, c, ldc, fromZero: true);
        else AccumulateTile256(rows, b, ldb, count, c, ldc, fromZero: true);
    }

    /// <summary>
    /// c[i·ldc + j] += Σ_{t &lt; count} a[t·lda + i] · b[t·ldb + j] for i &lt; 8, j &lt; 32: a sum of outer products
    /// of two row-major matrices that share their row index t (the Winograd weight gradient: tiles are t, input
    /// channels i, output channels j).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void OuterTile(float* a, int lda, float* b, int ldb, int count, float* c, int ldc)
    {
        if (Vector512.IsHardwareAccelerated) OuterTile512(a, lda, b, ldb, count, c, ldc);
        else OuterTile256(a, lda, b, ldb, count, c, ldc);
    }

    /// <summary><see cref="OuterTile"/> in Vector256, quarter by quarter.</summary>
    internal static void OuterTile256(float* a, int lda, float* b, int ldb, int count, float* c, int ldc)
    {
        for (int i0 = 0; i0 < Rows; i0 += QuarterRows)
            for (int j0 = 0; j0 < Cols; j0 += QuarterCols)
                OuterQuarter(a + i0, lda, b + j0, ldb, count, c + i0 * ldc + j0, ldc);
    }

    /// <summary><see cref="OuterTile"/> in Vector512 (the AVX-512 form).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void OuterTile512(float* a, int lda, float* b, int ldb, int count, float* c, int ldc)
    {
        float* p = c;
        Vector512<float> c00 = Vector512.Load(p), c01 = Vector512.Load(p + 16); p += ldc;
        Vector512<float> c10 = Vector512.Load(p), c11 = Vector512.Load(p + 16); p += ldc;
        Vector512<float> c20 = Vector512.Load(p), c21 = Vector512.Load(p + 16); p += ldc;
        Vector512<float> c30 = Vector512.Load(p), c31 = Vector512.Load(p + 16); p += ldc;
        Vector512<float> c40 = Vector512.Load(p), c41 = Vector512.Load(p + 16); p += ldc;
        Vector512<float> c50 = Vector512.Load(p), c51 = Vector512.Load(p + 16); p += ldc;
        Vector512<float> c60 = Vector512.Load(p), c61 = Vector512.Load(p + 16); p += ldc;
        Vector512<float> c70 = Vector512.Load(p), c71 = Vector512.Load(p + 16);
        for (int t = 0; t < count; t++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            b += ldb;
            var x = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            a += lda;
        }
        p = c;
        c00.Store(p); c01.Store(p + 16); p += ldc;
        c10.Store(p); c11.Store(p + 16); p += ldc;
        c20.Store(p); c21.Store(p + 16); p += ldc;
        c30.Store(p); c31.Store(p + 16); p += ldc;
        c40.Store(p); c41.Store(p + 16); p += ldc;
        c50.Store(p); c51.Store(p + 16); p += ldc;
        c60.Store(p); c61.Store(p + 16); p += ldc;
        c70.Store(p); c71.Store(p + 16);
    }

    /// <summary><see cref="AccumulateTile"/> in Vector512 (the AVX-512 form).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AccumulateTile512(float** rows, float* b, int ldb, int count, float* c, int ldc, bool fromZero)
    {
        float* r0 = rows[0], r1 = rows[1], r2 = rows[2], r3 = rows[3], r4 = rows[4], r5 = rows[5], r6 = rows[6], r7 = rows[7];
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default,
            c60 = default, c61 = default, c70 = default, c71 = default;
        float* p = c;
        if (!fromZero)
        {
            c00 = Vector512.Load(p); c01 = Vector512.Load(p + 16); p += ldc;
            c10 = Vector512.Load(p); c11 = Vector512.Load(p + 16); p += ldc;
            c20 = Vector512.Load(p); c21 = Vector512.Load(p + 16); p += ldc;
            c30 = Vector512.Load(p); c31 = Vector512.Load(p + 16); p += ldc;
            c40 = Vector512.Load(p); c41 = Vector512.Load(p + 16); p += ldc;
            c50 = Vector512.Load(p); c51 = Vector512.Load(p + 16); p += ldc;
            c60 = Vector512.Load(p); c61 = Vector512.Load(p + 16); p += ldc;
            c70 = Vector512.Load(p); c71 = Vector512.Load(p + 16);
        }
        for (int k = 0; k < count; k++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            b += ldb;
            var x = Vector512.Create(r0[k]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(r1[k]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(r2[k]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(r3[k]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(r4[k]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(r5[k]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(r6[k]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(r7[k]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
        }
        p = c;
        c00.Store(p); c01.Store(p + 16); p += ldc;
        c10.Store(p); c11.Store(p + 16); p += ldc;
        c20.Store(p); c21.Store(p + 16); p += ldc;
        c30.Store(p); c31.Store(p + 16); p += ldc;
        c40.Store(p); c41.Store(p + 16); p += ldc;
        c50.Store(p); c51.Store(p + 16); p += ldc;
        c60.Store(p); c61.Store(p + 16); p += ldc;
        c70.Store(p); c71.Store(p + 16);
    }

    // ------------------------------------------------------------------ AVX2 (no AVX-512)

    private const int QuarterRows = 4;
    private const int QuarterCols = 16;

    /// <summary><see cref="GatherTile"/> in Vector256, quarter by quarter.</summary>
    internal static void GatherTile256(float* a, float* b, int* offsets, int taps, float* c, int ldc)
    {
        for (int i0 = 0; i0 < Rows; i0 += QuarterRows)
            for (int j0 = 0; j0 < Cols; j0 += QuarterCols)
                GatherQuarter(a + i0, b + j0, offsets, taps, c + i0 * ldc + j0, ldc);
    }

    /// <summary><see cref="AccumulateTile"/> in Vector256, quarter by quarter.</summary>
    internal static void AccumulateTile256(float** rows, float* b, int ldb, int count, float* c, int ldc, bool fromZero)
    {
        for (int i0 = 0; i0 < Rows; i0 += QuarterRows)
            for (int j0 = 0; j0 < Cols; j0 += QuarterCols)
                AccumulateQuarter(rows + i0, b + j0, ldb, count, c + i0 * ldc + j0, ldc, fromZero);
    }

    /// <summary>
    /// Rows [0, 4) × columns [0, 16) of <see cref="GatherTile"/>'s tile, with a and b already offset to the quarter:
    /// a's rows stay 8 apart per tap (the packed panel's layout).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GatherQuarter(float* a, float* b, int* offsets, int taps, float* c, int ldc)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default;
        for (int t = 0; t < taps; t++)
        {
            float* bt = b + offsets[t];
            var b0 = Vector256.Load(bt);
            var b1 = Vector256.Load(bt + 8);
            float* at = a + t * Rows;
            var x = Vector256.Create(at[0]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(at[1]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(at[2]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(at[3]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
        }
        c00.Store(c); c01.Store(c + 8); c += ldc;
        c10.Store(c); c11.Store(c + 8); c += ldc;
        c20.Store(c); c21.Store(c + 8); c += ldc;
        c30.Store(c); c31.Store(c + 8);
    }

    /// <summary>Rows [0, 4) × columns [0, 16) of <see cref="AccumulateTile"/>'s tile, rows, b and c offset to the quarter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateQuarter(float** rows, float* b, int ldb, int count, float* c, int ldc, bool fromZero)
    {
        float* r0 = rows[0], r1 = rows[1], r2 = rows[2], r3 = rows[3];
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default;
        float* p = c;
        if (!fromZero)
        {
            c00 = Vector256.Load(p); c01 = Vector256.Load(p + 8); p += ldc;
            c10 = Vector256.Load(p); c11 = Vector256.Load(p + 8); p += ldc;
            c20 = Vector256.Load(p); c21 = Vector256.Load(p + 8); p += ldc;
            c30 = Vector256.Load(p); c31 = Vector256.Load(p + 8);
        }
        for (int k = 0; k < count; k++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            b += ldb;
            var x = Vector256.Create(r0[k]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(r1[k]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(r2[k]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(r3[k]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
        }
        p = c;
        c00.Store(p); c01.Store(p + 8); p += ldc;
        c10.Store(p); c11.Store(p + 8); p += ldc;
        c20.Store(p); c21.Store(p + 8); p += ldc;
        c30.Store(p); c31.Store(p + 8);
    }

    /// <summary>Rows [0, 4) × columns [0, 16) of <see cref="OuterTile"/>'s tile, a, b and c offset to the quarter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OuterQuarter(float* a, int lda, float* b, int ldb, int count, float* c, int ldc)
    {
        float* p = c;
        Vector256<float> c00 = Vector256.Load(p), c01 = Vector256.Load(p + 8); p += ldc;
        Vector256<float> c10 = Vector256.Load(p), c11 = Vector256.Load(p + 8); p += ldc;
        Vector256<float> c20 = Vector256.Load(p), c21 = Vector256.Load(p + 8); p += ldc;
        Vector256<float> c30 = Vector256.Load(p), c31 = Vector256.Load(p + 8);
        for (int t = 0; t < count; t++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            b += ldb;
            var x = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            a += lda;
        }
        p = c;
        c00.Store(p); c01.Store(p + 8); p += ldc;
        c10.Store(p); c11.Store(p + 8); p += ldc;
        c20.Store(p); c21.Store(p + 8); p += ldc;
        c30.Store(p); c31.Store(p + 8);
    }
}
