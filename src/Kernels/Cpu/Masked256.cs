using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lshk.Kernels.Cpu;

/// <summary>
/// Ragged row ends for the 256-bit (AVX2) forms of the CPU kernels: the first <c>count</c> lanes of a Vector256 are
/// read or written and nothing past them, like <see cref="Masked512"/>. A whole vector (count ≥ 8) takes the plain
/// load or store; otherwise AVX's masked move (or one lane at a time without AVX).
/// </summary>
internal static unsafe class Masked256
{
    public const int Lanes = 8;

    /// <summary>Lanes [0, count) set (count may be ≤ 0 or ≥ 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> FirstLanes(int count) =>
        Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();

    /// <summary>address[i] for i &lt; count, zero in the other lanes; nothing past the count is read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadFirst(float* address, int count)
    {
        if (count >= Lanes) return Vector256.Load(address);
        if (Avx.IsSupported) return Avx.MaskLoad(address, FirstLanes(count));
        var result = Vector256<float>.Zero;
        for (int i = 0; i < count; i++) result = result.WithElement(i, address[i]);
        return result;
    }

    /// <summary>Writes lanes [0, count) of value to address; nothing past the count is written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreFirst(float* address, int count, Vector256<float> value)
    {
        if (count >= Lanes)
        {
            value.Store(address);
            return;
        }
        if (Avx.IsSupported)
        {
            Avx.MaskStore(address, FirstLanes(count), value);
            return;
        }
        for (int i = 0; i < count; i++) address[i] = value.GetElement(i);
    }
}
