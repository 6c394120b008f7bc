using System.Runtime.CompilerServices;

namespace Lshk.Kernels.Random;

/// <summary>
/// Counter-based random numbers: value i of stream s under seed k is a pure function of (k, s, i), so results
/// never depend on thread count, scheduling or device. The mixer is SplitMix64's finaliser applied to a
/// combination of the three (a strong 64-bit avalanche; every output bit depends on every input bit).
/// </summary>
public readonly struct CounterRng
{
    private readonly ulong _key;

    public CounterRng(ulong seed, ulong stream)
    {
        _key = Mix(seed * 0x9E3779B97F4A7C15UL + 0xD1B54A32D192ED03UL) ^ Mix(stream + 0x632BE59BD9B4E019UL);
    }

    /// <summary>A derived stream, e.g. one per purpose (planes, offsets, episodes).</summary>
    public CounterRng Substream(ulong stream) => new(_key, stream);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>64 random bits for counter i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Bits(ulong i) => Mix(_key + (i + 1) * 0x9E3779B97F4A7C15UL);

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double Uniform(ulong i) => (Bits(i) >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in (0, 1]: safe to take the logarithm of.</summary>
    public double UniformOpenZero(ulong i) => ((Bits(i) >> 11) + 1) * (1.0 / (1UL << 53));

    /// <summary>A standard normal value for counter i (Box–Muller on two sub-counters).</summary>
    public double Normal(ulong i)
    {
        double u1 = UniformOpenZero(2 * i);
        double u2 = Uniform(2 * i + 1);
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>A uniform integer in [0, bound) for counter i (bound ≥ 1; multiply-shift, bias below 2^-32).</summary>
    public int Below(ulong i, int bound)
    {
        if (bound < 1) throw new ArgumentOutOfRangeException(nameof(bound));
        return (int)(((Bits(i) >> 32) * (ulong)bound) >> 32);
    }
}
