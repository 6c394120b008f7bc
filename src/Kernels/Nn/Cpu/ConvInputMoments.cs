using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// The first and second moments of a convolution's input as its taps see it: with X_t[p] the input under tap t at
/// output position p (zero in the padding), Σ_p X_t[p] and Σ_p X_t[p]·X_u[p]. For a convolution with few taps they
/// are all that its output's batch-norm statistics (<see cref="RecomputedConvStatistics"/>) and part of its weight
/// gradient (<see cref="RecomputedConvGradient"/>) need: y = Σ_t w_t·X_t + b, so Σy and Σy² follow from them.
/// Summed in double (float32 products are exact in double), because the statistics subtract large sums from each
/// other: an input with a large common offset makes Σy² dwarf the variance it is used to find.
/// </summary>
internal static unsafe class ConvInputMoments
{
    private const int Lanes = 8;

    /// <summary>
    /// For one padded image (<see cref="ConvRecompute.PadInput"/>, <paramref name="length"/> floats, rows
    /// <paramref name="wp"/> apart): sums[t] += Σ X_t and gram[t·T + u] += Σ X_t·X_u for u ≥ t, over the oh × ow output
    /// positions. The image is widened to double once, into <paramref name="work"/> (as long as the image), so the
    /// T(T + 1)/2 products are plain double multiply-adds, four positions at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(float* padded, int length, double* work, int* offsets, int taps, int oh, int ow, int wp,
        double* gram, double* sums)
    {
        int i = 0;
        for (; i + Lanes <= length; i += Lanes)
        {
            var (low, high) = Vector256.Widen(Vector256.Load(padded + i));
            low.Store(work + i);
            high.Store(work + i + Lanes / 2);
        }
        for (; i < length; i++) work[i] = padded[i];

        const int step = Lanes / 2;
        int full = ow / step * step;
        for (int t = 0; t < taps; t++)
        {
            double* xt = work + offsets[t];
            var sum = Vector256<double>.Zero;
            double tail = 0;
            for (int r = 0; r < oh; r++)
            {
                double* row = xt + r * wp;
                for (int j = 0; j < full; j += step) sum += Vector256.Load(row + j);
                for (int j = full; j < ow; j++) tail += row[j];
            }
            sums[t] += Vector256.Sum(sum) + tail;
            for (int u = t; u < taps; u++)
            {
                double* xu = work + offsets[u];
                var acc = Vector256<double>.Zero;
                double rest = 0;
                for (int r = 0; r < oh; r++)
                {
                    double* a = xt + r * wp, b = xu + r * wp;
                    for (int j = 0; j < full; j += step) acc = Vector256.FusedMultiplyAdd(Vector256.Load(a + j), Vector256.Load(b + j), acc);
                    for (int j = full; j < ow; j++) rest += a[j] * b[j];
                }
                gram[t * taps + u] += Vector256.Sum(acc) + rest;
            }
        }
    }

    /// <summary>Fills the lower triangle of a T×T matrix whose upper one (u ≥ t) was summed.</summary>
    public static void Symmetrise(double* gram, int taps)
    {
        for (int t = 0; t < taps; t++)
            for (int u = 0; u < t; u++) gram[t * taps + u] = gram[u * taps + t];
    }
}
