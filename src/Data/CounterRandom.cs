using System.Runtime.CompilerServices;

namespace Lshk.Data;

/// <summary>
/// Counter-based random numbers for data choices (class splits, episodes): value i of stream s under seed k is a
/// pure function of (k, s, i), so results never depend on thread count, order of calls or machine. It is the same
/// construction as <c>Lshk.Kernels.Random.CounterRng</c> (SplitMix64's finaliser over seed, stream and counter);
/// Data keeps its own copy because it must not depend on the device layer.
/// </summary>
public readonly struct CounterRandom
{
    private readonly ulong _key;

    public CounterRandom(ulong seed, ulong stream)
    {
        _key = Mix(seed * 0x9E3779B97F4A7C15UL + 0xD1B54A32D192ED03UL) ^ Mix(stream + 0x632BE59BD9B4E019UL);
    }

    /// <summary>A derived stream (e.g. one per episode).</summary>
    public CounterRandom Substream(ulong stream) => new(_key, stream);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>64 random bits for counter i.</summary>
    public ulong Bits(ulong i) => Mix(_key + (i + 1) * 0x9E3779B97F4A7C15UL);

    /// <summary>A uniform integer in [0, bound) for counter i (multiply-shift; bias below 2^-32 for any bound &lt; 2^31).</summary>
    public int Below(ulong i, int bound)
    {
        if (bound < 1) throw new ArgumentOutOfRangeException(nameof(bound));
        return (int)(((Bits(i) >> 32) * (ulong)bound) >> 32);
    }

    /// <summary>
    /// The first <paramref name="take"/> items of a uniformly random permutation of <paramref name="items"/>
    /// (a partial Fisher–Yates shuffle in place), drawing counters <paramref name="counter"/>, counter+1, ….
    /// </summary>
    public void PartialShuffle(Span<int> items, int take, ref ulong counter)
    {
        if ((uint)take > (uint)items.Length) throw new ArgumentOutOfRangeException(nameof(take));
        for (int i = 0; i < take; i++)
        {
            int j = i + Below(counter++, items.Length - i);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
