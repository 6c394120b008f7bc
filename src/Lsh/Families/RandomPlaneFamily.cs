using Lshk.Kernels;
using Lshk.Kernels.Random;

namespace Lshk.Lsh.Families;

/// <summary>
/// The shape shared by the random families: every normal entry i is an independent draw from counter stream 1 of
/// the seed, every offset i (when asked for) from stream 2, scaled by the offset scale. A family only says how one
/// value is drawn. The streams are counter-based, so planes never depend on thread count or device.
/// </summary>
public abstract class RandomPlaneFamily : IRandomHashFamily
{
    private const ulong NormalStream = 1;
    private const ulong OffsetStream = 2;

    public abstract string Name { get; }
    public virtual IReadOnlyList<string> Aliases => [];
    public HashFamilyKind Kind => HashFamilyKind.Random;
    public abstract string Summary { get; }

    public Hyperplanes Draw(int planes, int dim, ulong seed, PlaneDrawOptions options)
    {
        Check.Positive(planes, "planes");
        Check.Positive(dim, "dim");
        CheckOptions(options);
        var normalStream = new CounterRng(seed, NormalStream);
        var normals = new float[(long)planes * dim];
        for (int i = 0; i < normals.Length; i++) normals[i] = Value(normalStream, (ulong)i, options.Range);
        float[]? offsets = null;
        if (options.Offsets)
        {
            var offsetStream = new CounterRng(seed, OffsetStream);
            offsets = new float[planes];
            for (int i = 0; i < planes; i++) offsets[i] = Value(offsetStream, (ulong)i, options.Range) * options.OffsetScale;
        }
        return new Hyperplanes(this, planes, dim, normals, offsets, seed, options.Range);
    }

    /// <summary>Value i of a stream.</summary>
    protected abstract float Value(CounterRng rng, ulong i, int range);

    /// <summary>Rejects options this family cannot draw with (the integer family needs a positive range).</summary>
    protected virtual void CheckOptions(PlaneDrawOptions options) { }
}
