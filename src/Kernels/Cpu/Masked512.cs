using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lshk.Kernels.Cpu;

/// <summary>
/// The AVX-512 instructions the CPU kernels use that have no portable <see cref="Vector512"/> form: masked loads
/// and stores (ragged row ends that must not touch memory past the row) and the two-source lane permute. On an
/// AVX-512 machine each is the one instruction; elsewhere (an AVX2 machine, where <see cref="Vector512"/> runs as
/// two 256-bit halves) the same lanes are read and written with AVX's 256-bit masked moves, or one lane at a time
/// without AVX. The results are lane-for-lane identical, so the kernels compute the same values on both.
/// </summary>
internal static unsafe class Masked512
{
    private const int Lanes = 16;
    private const int HalfLanes = 8;

    /// <summary>Lanes [0, count) set (count may be ≤ 0 or ≥ 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FirstLanes(int count) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();

    /// <summary>Lane i is address[i] where the mask's lane i has its sign bit set, else merge[i]; nothing else is read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* address, Vector512<float> mask, Vector512<float> merge)
    {
        if (Avx512F.IsSupported) return Avx512F.MaskLoad(address, mask, merge);
        if (Avx.IsSupported)
        {
            var lower = Avx.MaskLoad(address, mask.GetLower());
            var upper = Avx.MaskLoad(address + HalfLanes, mask.GetUpper());
            var loaded = Vector512.Create(lower, upper);
            return Vector512.ConditionalSelect(SignMask(mask), loaded, merge);
        }
        var result = merge;
        for (int i = 0; i < Lanes; i++)
            if (mask.AsInt32().GetElement(i) < 0) result = result.WithElement(i, address[i]);
        return result;
    }

    /// <summary>Writes lane i of value to address[i] where the mask's lane i has its sign bit set; nothing else is written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* address, Vector512<float> mask, Vector512<float> value)
    {
        if (Avx512F.IsSupported)
        {
            Avx512F.MaskStore(address, mask, value);
            return;
        }
        if (Avx.IsSupported)
        {
            Avx.MaskStore(address, mask.GetLower(), value.GetLower());
            Avx.MaskStore(address + HalfLanes, mask.GetUpper(), value.GetUpper());
            return;
        }
        for (int i = 0; i < Lanes; i++)
            if (mask.AsInt32().GetElement(i) < 0) address[i] = value.GetElement(i);
    }

    /// <summary>Lane i is (index[i] &amp; 16 ? b : a)[index[i] &amp; 15] (<c>vpermt2ps</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Permute2(Vector512<float> a, Vector512<int> index, Vector512<float> b)
    {
        if (Avx512F.IsSupported) return Avx512F.PermuteVar16x32x2(a, index, b);
        var within = index & Vector512.Create(Lanes - 1);
        var fromB = Vector512.Equals(index & Vector512.Create(Lanes), Vector512.Create(Lanes));
        return Vector512.ConditionalSelect(fromB.AsSingle(), Vector512.Shuffle(b, within), Vector512.Shuffle(a, within));
    }

    /// <summary>All bits of a lane set where the lane's sign bit is set (masks here are all-ones or all-zeros lanes already; this makes it certain).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> SignMask(Vector512<float> mask) =>
        Vector512.ShiftRightArithmetic(mask.AsInt32(), 31).AsSingle();
}
