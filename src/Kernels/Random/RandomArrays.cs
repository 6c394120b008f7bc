namespace Lshk.Kernels.Random;

/// <summary>Seeded random arrays for benchmarks and tests (parallel, yet identical for any thread count).</summary>
public static class RandomArrays
{
    public static float[] Gaussian(long count, ulong seed, ulong stream = 0)
    {
        var rng = new CounterRng(seed, stream);
        var result = new float[count];
        Parallel.For(0, (count + 4095) / 4096, chunk =>
        {
            long end = Math.Min(count, (chunk + 1) * 4096);
            for (long i = chunk * 4096; i < end; i++) result[i] = (float)rng.Normal((ulong)i);
        });
        return result;
    }

    /// <summary>Random packed codes of the given bit count; unused high bits of the last word are 0.</summary>
    public static uint[] Codes(int n, int bits, ulong seed, ulong stream = 0)
    {
        var rng = new CounterRng(seed, stream);
        int words = Check.Words(bits);
        var result = new uint[(long)n * words];
        uint lastMask = bits % 32 == 0 ? uint.MaxValue : (1u << (bits % 32)) - 1;
        Parallel.For(0, (n + 4095) / 4096, chunk =>
        {
            int end = Math.Min(n, (chunk + 1) * 4096);
            for (int r = chunk * 4096; r < end; r++)
                for (int j = 0; j < words; j++)
                {
                    uint w = (uint)rng.Bits((ulong)r * (ulong)words + (ulong)j);
                    result[(long)r * words + j] = j == words - 1 ? w & lastMask : w;
                }
        });
        return result;
    }
}
