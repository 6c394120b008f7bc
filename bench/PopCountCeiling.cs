using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lshk.Bench;

/// <summary>
/// The popcount ceiling of one core: XOR + popcount + add over 256-bit codes that stay in L1, with independent
/// accumulators and nothing else (no top-k, no layout), so the Hamming scan's comparisons/s can be read as a fraction
/// of it. Two forms: scalar POPCNT (4 × 64-bit words per code) and the AVX2 nibble table (vpshufb + vpsadbw, one
/// 256-bit vector per code). Run pinned: taskset -c 0 dotnet bench/bin/Release/net10.0/Lshk.Bench.dll ceiling
/// </summary>
internal static unsafe class PopCountCeiling
{
    private const int Codes = 512;             // 512 × 32 bytes = 16 KiB: well inside a 32 KiB L1d
    private const int WordsPerCode = 4;        // 256-bit codes
    private const int Passes = 200_000;        // ≈ 10⁸ comparisons per timing
    private const int Timings = 5;             // the best counts

    public static void Run()
    {
        var codes = GC.AllocateUninitializedArray<ulong>(Codes * WordsPerCode, pinned: true);
        var rng = new Random(1);
        for (int i = 0; i < codes.Length; i++) codes[i] = (ulong)rng.NextInt64();
        ulong[] query = [(ulong)rng.NextInt64(), (ulong)rng.NextInt64(), (ulong)rng.NextInt64(), (ulong)rng.NextInt64()];
        Console.WriteLine("form,comparisons_per_s,popcounts64_per_s,checksum");
        fixed (ulong* c = codes)
        {
            if (Popcnt.X64.IsSupported) Report("scalar-popcnt", c, query, Scalar);
            if (Avx2.IsSupported) Report("avx2-nibble", c, query, Nibble);
        }
    }

    private static void Report(string form, ulong* codes, ulong[] query, Func<nint, ulong[], long> kernel)
    {
        double best = double.MaxValue;
        long checksum = 0;
        kernel((nint)codes, query);   // warm-up: tiered JIT reaches the optimised code
        for (int t = 0; t < Timings; t++)
        {
            var sw = Stopwatch.StartNew();
            checksum = kernel((nint)codes, query);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        double comparisons = (double)Codes * Passes;
        Console.WriteLine($"{form},{comparisons / best:E3},{comparisons * WordsPerCode / best:E3},{checksum}");
    }

    /// <summary>Four independent accumulators (one per word of the code), so adds never wait on each other.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static long Scalar(nint codesAddress, ulong[] query)
    {
        ulong q0 = query[0], q1 = query[1], q2 = query[2], q3 = query[3];
        ulong a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (int p = 0; p < Passes; p++)
        {
            // Pointer walk and 64-bit popcounts, so the loop is load-xor, popcnt, add per word (no index arithmetic
            // or sign extension).
            for (ulong* c = (ulong*)codesAddress, end = c + Codes * WordsPerCode; c < end; c += WordsPerCode)
            {
                a0 += Popcnt.X64.PopCount(c[0] ^ q0);
                a1 += Popcnt.X64.PopCount(c[1] ^ q1);
                a2 += Popcnt.X64.PopCount(c[2] ^ q2);
                a3 += Popcnt.X64.PopCount(c[3] ^ q3);
            }
        }
        return (long)(a0 + a1 + a2 + a3);
    }

    /// <summary>Muła's nibble-table popcount: two vpshufb look-ups per vector, byte counts summed by vpsadbw.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static long Nibble(nint codesAddress, ulong[] query)
    {
        ulong* c = (ulong*)codesAddress;
        var q = Vector256.Create(query[0], query[1], query[2], query[3]).AsByte();
        var table = Vector256.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
        var nibbles = Vector256.Create((byte)0x0F);
        Vector256<ulong> a0 = default, a1 = default;
        for (int p = 0; p < Passes; p++)
        {
            for (int i = 0; i < Codes * WordsPerCode; i += 2 * WordsPerCode)
            {
                var x0 = Vector256.Load(c + i).AsByte() ^ q;
                var x1 = Vector256.Load(c + i + WordsPerCode).AsByte() ^ q;
                var n0 = Avx2.Shuffle(table, x0 & nibbles) + Avx2.Shuffle(table, Avx2.ShiftRightLogical(x0.AsUInt16(), 4).AsByte() & nibbles);
                var n1 = Avx2.Shuffle(table, x1 & nibbles) + Avx2.Shuffle(table, Avx2.ShiftRightLogical(x1.AsUInt16(), 4).AsByte() & nibbles);
                a0 += Avx2.SumAbsoluteDifferences(n0, Vector256<byte>.Zero).AsUInt64();
                a1 += Avx2.SumAbsoluteDifferences(n1, Vector256<byte>.Zero).AsUInt64();
            }
        }
        return (long)Vector256.Sum(a0 + a1);
    }
}
