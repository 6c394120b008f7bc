using Lshk.Kernels.Random;

namespace Lshk.Lsh.Families;

/// <summary>Entries uniform in [-1, 1], as in the original study.</summary>
public sealed class UniformPlanes : RandomPlaneFamily
{
    public static UniformPlanes Instance { get; } = new();

    private UniformPlanes() { }

    public override string Name => "uniform";
    public override string Summary => "entries uniform in [-1, 1] (the original study)";

    protected override float Value(CounterRng rng, ulong i, int range) => (float)(2.0 * rng.Uniform(i) - 1.0);
}
