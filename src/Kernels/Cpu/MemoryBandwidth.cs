using System.Diagnostics;
using System.Runtime.Intrinsics;

namespace Lshk.Kernels.Cpu;

/// <summary>Measures this machine's memory read bandwidth: every core sums its share of a large array.</summary>
public static unsafe class MemoryBandwidth
{
    /// <summary>Best read bandwidth in GB/s (10^9 bytes) over several passes of a buffer of the given size.</summary>
    public static double MeasureReadGBps(long bytes = 1L << 30, int passes = 5)
    {
        long count = bytes / sizeof(ulong);
        var data = GC.AllocateUninitializedArray<ulong>((int)Math.Min(count, Array.MaxLength), pinned: true);
        for (int i = 0; i < data.Length; i++) data[i] = (ulong)i;
        int threads = Environment.ProcessorCount;
        long per = data.Length / threads / 64 * 64;
        double best = 0;
        ulong sink = 0;
        for (int pass = 0; pass < passes; pass++)
        {
            var sums = new ulong[threads];
            var watch = Stopwatch.StartNew();
            Parallel.For(0, threads, t =>
            {
                fixed (ulong* p = data)
                {
                    ulong* start = p + t * per, end = start + per;
                    Vector256<ulong> a = default, b = default, c = default, d = default;
                    for (ulong* q = start; q < end; q += 16)
                    {
                        a += Vector256.Load(q);
                        b += Vector256.Load(q + 4);
                        c += Vector256.Load(q + 8);
                        d += Vector256.Load(q + 12);
                    }
                    sums[t] = Vector256.Sum(a + b + c + d);
                }
            });
            watch.Stop();
            foreach (var s in sums) sink += s;
            best = Math.Max(best, per * threads * sizeof(ulong) / watch.Elapsed.TotalSeconds / 1e9);
        }
        GC.KeepAlive(sink);
        return best;
    }
}
