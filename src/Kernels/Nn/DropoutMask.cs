using System.Runtime.CompilerServices;
using Lshk.Kernels.Random;

namespace Lshk.Kernels.Nn;

/// <summary>
/// Which elements inverted dropout keeps: element i is kept iff the top 32 bits of a counter-based hash of
/// (key, i) fall below <see cref="Threshold"/> = ⌊keep·2³²⌋. The mask is a pure function of (seed, stream, i),
/// so forward and backward recompute it instead of storing it, and every device draws the same mask.
/// Kept values are scaled by 1/keep.
/// </summary>
public readonly record struct DropoutMask
{
    public DropoutMask(float keep, ulong seed, ulong stream)
    {
        if (!(keep > 0f && keep <= 1f)) throw new ArgumentOutOfRangeException(nameof(keep), keep, $"keep probability must be in (0, 1] (got {keep})");
        Keep = keep;
        Key = CounterRng.Mix(CounterRng.Mix(seed + 0x9E3779B97F4A7C15UL) ^ (stream * 0xD1B54A32D192ED03UL + 0x632BE59BD9B4E019UL));
        Threshold = keep >= 1f ? uint.MaxValue : (uint)Math.Min(uint.MaxValue, Math.Floor((double)keep * 4294967296.0));
        Scale = 1f / keep;
    }

    public float Keep { get; }
    public ulong Key { get; }
    public uint Threshold { get; }
    public float Scale { get; }

    /// <summary>Whether element <paramref name="index"/> is kept (keep = 1 keeps everything).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Keeps(long index) => Keeps(Key, Threshold, index);

    /// <summary>The rule itself, as a static function the GPU kernels call too.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Keeps(ulong key, uint threshold, long index) =>
        threshold == uint.MaxValue || (uint)(CounterRng.Mix(key + ((ulong)index + 1) * 0x9E3779B97F4A7C15UL) >> 32) < threshold;
}
