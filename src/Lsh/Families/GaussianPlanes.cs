using Lshk.Kernels.Random;

namespace Lshk.Lsh.Families;

/// <summary>Standard normal entries: SimHash, whose collision rate is 1 − angle/π. The default family.</summary>
public sealed class GaussianPlanes : RandomPlaneFamily
{
    public static GaussianPlanes Instance { get; } = new();

    private GaussianPlanes() { }

    public override string Name => "gaussian";
    public override IReadOnlyList<string> Aliases => ["simhash", "normal"];
    public override string Summary => "standard normal planes (SimHash): Hamming distance estimates the angle";

    protected override float Value(CounterRng rng, ulong i, int range) => (float)rng.Normal(i);
}
