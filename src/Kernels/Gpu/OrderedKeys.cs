using ILGPU;

namespace Lshk.Kernels.Gpu;

/// <summary>
/// Scores as order-preserving unsigned keys, so one top-k kernel serves integer and float scores: a larger key
/// is a better score. A top-k entry packs (key, support index) into one ulong that sorts exactly like
/// (score descending, index ascending): key in the high half, the bitwise complement of the index in the low half.
/// Entry 0 is the "nothing here" sentinel; real entries are never 0 because their key is above the
/// missing-score key, which is itself above 0.
/// </summary>
internal static class OrderedKeys
{
    private const uint SignBit = 0x8000_0000u;

    /// <summary>Signed integers: flipping the sign bit maps int order onto uint order.</summary>
    public static uint FromInt(int value) => (uint)value ^ SignBit;

    public static int ToInt(uint key) => (int)(key ^ SignBit);

    /// <summary>
    /// Floats: positives get the sign bit set, negatives have all bits flipped, so uint order is float order.
    /// −0 is mapped to +0 so the two zeros tie (as float comparison says), and NaN to key 0, below every score,
    /// so a NaN never enters a top-k list (the CPU's "score > threshold" rejects it as well).
    /// </summary>
    public static uint FromFloat(float value)
    {
        if (float.IsNaN(value)) return 0u;
        if (value == 0f) value = 0f;
        uint bits = Interop.FloatAsInt(value);
        return (bits & SignBit) != 0 ? ~bits : bits | SignBit;
    }

    public static float ToFloat(uint key) =>
        BitConverter.UInt32BitsToSingle((key & SignBit) != 0 ? key & ~SignBit : ~key);

    /// <summary>(key, index) → an entry that sorts like (score desc, index asc).</summary>
    public static ulong Entry(uint key, int index) => ((ulong)key << 32) | (uint)~index;

    public static uint EntryKey(ulong entry) => (uint)(entry >> 32);

    public static int EntryIndex(ulong entry) => ~(int)(uint)entry;
}
