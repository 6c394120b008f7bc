using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lshk.Kernels.Cpu;

/// <summary>
/// Projection onto hyperplanes, and the fused projection + sign + bit packing, vectorised across planes:
/// with the planes transposed to D×P, one Vector256 holds 8 planes' partial sums of the same item, so each lane
/// still sums over d in increasing order with a separate multiply and add: the exact float the scalar
/// reference and the GPU kernel compute.
/// </summary>
internal static unsafe class CpuProjection
{
    private const int Lanes = 8;            // floats per Vector256
    private const int RowsPerTask = 64;

    public static void Project(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> planes,
        ReadOnlySpan<float> offsets, int p, Span<float> projections)
    {
        BackendChecks.Projection(x, n, d, planes, offsets, p);
        Check.Length(projections, (long)n * p, nameof(projections));
        Run(x, n, d, planes, offsets, p, projections, default);
    }

    public static void ProjectPack(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> planes,
        ReadOnlySpan<float> offsets, int p, Span<uint> codes)
    {
        BackendChecks.Projection(x, n, d, planes, offsets, p);
        int words = Check.Words(p);
        Check.Length(codes, (long)n * words, nameof(codes));
        Run(x, n, d, planes, offsets, p, default, codes);
    }

    private static void Run(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> planes, ReadOnlySpan<float> offsets,
        int p, Span<float> projOut, Span<uint> codesOut)
    {
        if (n == 0) return;
        int padded = (p + Lanes - 1) / Lanes * Lanes;
        // Planes transposed to D × padded (padding planes are zero) and offsets padded likewise.
        var planesT = new float[d * padded];
        for (int i = 0; i < p; i++)
            for (int j = 0; j < d; j++)
                planesT[j * padded + i] = planes[i * d + j];
        var offs = new float[padded];
        if (!offsets.IsEmpty) offsets.CopyTo(offs);

        int words = Check.Words(p);
        fixed (float* px = x)
        fixed (float* pp = projOut)
        fixed (uint* pc = codesOut)
        {
            nint xAddr = (nint)px, projAddr = (nint)pp, codeAddr = (nint)pc;
            int tasks = (n + RowsPerTask - 1) / RowsPerTask;
            Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, () => new float[padded], (t, _, buffer) =>
            {
                int start = t * RowsPerTask, end = Math.Min(n, start + RowsPerTask);
                fixed (float* pt = planesT)
                fixed (float* po = offs)
                fixed (float* acc = buffer)
                {
                    for (int row = start; row < end; row++)
                    {
                        ProjectRow((float*)xAddr + (long)row * d, d, pt, po, padded, acc);
                        if (projAddr != 0)
                            new Span<float>(acc, p).CopyTo(new Span<float>((float*)projAddr + (long)row * p, p));
                        else
                            PackRow(acc, p, (uint*)codeAddr + (long)row * words);
                    }
                }
                return buffer;
            }, _ => { });
        }
    }

    /// <summary>acc[i] = Σ_j x[j]·planesT[j, i] (j ascending, multiply then add) + offsets[i], for all padded planes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ProjectRow(float* x, int d, float* planesT, float* offsets, int padded, float* acc)
    {
        const int Tile = 8; // vectors of accumulators kept in registers: 64 planes
        int i = 0;
        for (; i + Tile * Lanes <= padded; i += Tile * Lanes)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default,
                a4 = default, a5 = default, a6 = default, a7 = default;
            float* col = planesT + i;
            for (int j = 0; j < d; j++, col += padded)
            {
                var xj = Vector256.Create(x[j]);
                a0 += xj * Vector256.Load(col);
                a1 += xj * Vector256.Load(col + 8);
                a2 += xj * Vector256.Load(col + 16);
                a3 += xj * Vector256.Load(col + 24);
                a4 += xj * Vector256.Load(col + 32);
                a5 += xj * Vector256.Load(col + 40);
                a6 += xj * Vector256.Load(col + 48);
                a7 += xj * Vector256.Load(col + 56);
            }
            float* o = offsets + i;
            (a0 + Vector256.Load(o)).Store(acc + i);
            (a1 + Vector256.Load(o + 8)).Store(acc + i + 8);
            (a2 + Vector256.Load(o + 16)).Store(acc + i + 16);
            (a3 + Vector256.Load(o + 24)).Store(acc + i + 24);
            (a4 + Vector256.Load(o + 32)).Store(acc + i + 32);
            (a5 + Vector256.Load(o + 40)).Store(acc + i + 40);
            (a6 + Vector256.Load(o + 48)).Store(acc + i + 48);
            (a7 + Vector256.Load(o + 56)).Store(acc + i + 56);
        }
        for (; i < padded; i += Lanes)
        {
            Vector256<float> a = default;
            float* col = planesT + i;
            for (int j = 0; j < d; j++, col += padded)
                a += Vector256.Create(x[j]) * Vector256.Load(col);
            (a + Vector256.Load(offsets + i)).Store(acc + i);
        }
    }

    /// <summary>Sign bits of p projections, packed LSB-first into ⌈p/32⌉ words; bits past p stay 0.</summary>
    private static void PackRow(float* proj, int p, uint* code)
    {
        int words = Check.Words(p);
        for (int w = 0; w < words; w++)
        {
            uint bits = 0;
            for (int v = 0; v < 4; v++)
            {
                int first = w * 32 + v * Lanes;
                if (first >= p) break;
                // Lanes with proj >= 0 (including -0) give 1: compare, then gather the lanes' top bits.
                uint mask = Vector256.GreaterThanOrEqual(Vector256.Load(proj + first), Vector256<float>.Zero)
                    .ExtractMostSignificantBits();
                bits |= mask << (v * Lanes);
            }
            int valid = Math.Min(32, p - w * 32);
            if (valid < 32) bits &= (1u << valid) - 1;
            code[w] = bits;
        }
    }
}
