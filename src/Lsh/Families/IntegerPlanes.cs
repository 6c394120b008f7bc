using Lshk.Kernels;
using Lshk.Kernels.Random;

namespace Lshk.Lsh.Families;

/// <summary>Integer entries in [-R, R), as in the original study; R is the draw options' range.</summary>
public sealed class IntegerPlanes : RandomPlaneFamily
{
    public static IntegerPlanes Instance { get; } = new();

    private IntegerPlanes() { }

    public override string Name => "integer";
    public override IReadOnlyList<string> Aliases => ["int"];
    public override string Summary => "integer entries in [-R, R) (the original study)";

    protected override float Value(CounterRng rng, ulong i, int range) => rng.Below(i, 2 * range) - range;

    protected override void CheckOptions(PlaneDrawOptions options) => Check.Positive(options.Range, "range");
}
