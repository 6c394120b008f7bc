using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Lshk.Kernels.Cpu;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// A vector of floats of either width behind one interface, for kernels whose lanes never meet: each lane is its own
/// channel or output position, and no sum runs across lanes. Such a kernel is written once, generic over the width,
/// and runs 16 lanes at a time where the CPU executes AVX-512 (<see cref="Lanes16"/>; on a Zen 5 core a 512-bit
/// multiply-add costs what a 256-bit one does, so the work per instruction doubles) and 8 elsewhere
/// (<see cref="Lanes8"/>). Every lane goes through the same chain of the same operations at both widths, so both give
/// the same bits: the recorded fixed-seed outputs hold on AVX2 and AVX-512 machines alike.
///
/// The structs wrap one hardware vector each and every member is inlined, so after the JIT specialises a generic
/// kernel for one of them the code is that of a kernel written against the vector type directly.
/// </summary>
internal unsafe interface IFloatLanes<TSelf> where TSelf : unmanaged, IFloatLanes<TSelf>
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    static abstract TSelf Zero { get; }

    static abstract TSelf Load(float* address);

    static abstract TSelf Broadcast(float value);

    /// <summary>a·b + c, rounded once.</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);

    static abstract TSelf operator +(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a);

    static abstract TSelf operator *(TSelf a, TSelf b);

    void Store(float* address);

    /// <summary>Writes lanes [0, count) to address and nothing past them.</summary>
    void StoreFirst(float* address, int count);
}

/// <summary>Which width a lane-independent kernel runs at on this machine.</summary>
internal static class FloatLanes
{
    /// <summary>Whether 16-lane vectors run natively (AVX-512); else kernels take <see cref="Lanes8"/>.</summary>
    public static bool Wide => Vector512.IsHardwareAccelerated;
}

/// <summary>Eight floats: <see cref="Vector256{T}"/> (AVX2).</summary>
internal readonly unsafe struct Lanes8(Vector256<float> v) : IFloatLanes<Lanes8>
{
    private readonly Vector256<float> _v = v;

    public static int Count => Vector256<float>.Count;
    public static Lanes8 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 Load(float* address) => new(Vector256.Load(address));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 Broadcast(float value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 MultiplyAdd(Lanes8 a, Lanes8 b, Lanes8 c) => new(Vector256.FusedMultiplyAdd(a._v, b._v, c._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 operator +(Lanes8 a, Lanes8 b) => new(a._v + b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 operator -(Lanes8 a, Lanes8 b) => new(a._v - b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 operator -(Lanes8 a) => new(-a._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 operator *(Lanes8 a, Lanes8 b) => new(a._v * b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(float* address) => _v.Store(address);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void StoreFirst(float* address, int count) => Masked256.StoreFirst(address, count, _v);
}

/// <summary>Sixteen floats: <see cref="Vector512{T}"/> (AVX-512).</summary>
internal readonly unsafe struct Lanes16(Vector512<float> v) : IFloatLanes<Lanes16>
{
    private readonly Vector512<float> _v = v;

    public static int Count => Vector512<float>.Count;
    public static Lanes16 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 Load(float* address) => new(Vector512.Load(address));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 Broadcast(float value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 MultiplyAdd(Lanes16 a, Lanes16 b, Lanes16 c) => new(Vector512.FusedMultiplyAdd(a._v, b._v, c._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 operator +(Lanes16 a, Lanes16 b) => new(a._v + b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 operator -(Lanes16 a, Lanes16 b) => new(a._v - b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 operator -(Lanes16 a) => new(-a._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 operator *(Lanes16 a, Lanes16 b) => new(a._v * b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(float* address) => _v.Store(address);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void StoreFirst(float* address, int count)
    {
        if (count >= Count) _v.Store(address);
        else Masked512.Store(address, Masked512.FirstLanes(count), _v);
    }
}
