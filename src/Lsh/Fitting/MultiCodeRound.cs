using Lshk.Kernels.Random;

namespace Lshk.Lsh.Fitting;

/// <summary>The seeded draws of one extra one-vs-rest round: which features, which supports, which classes.</summary>
internal readonly struct MultiCodeRound
{
    /// <summary>Share of the features each extra round sees: half, the usual random-subspace choice.</summary>
    public const double FeatureFraction = 0.5;

    /// <summary>Share of each class's supports each extra round keeps (at least one, so every class stays present).</summary>
    public const double SupportFraction = 0.5;

    private const ulong FeatureStream = 1, SupportStream = 2, ClassStream = 3;

    private readonly CounterRng _rng;

    public MultiCodeRound(ulong seed, int round) => _rng = new CounterRng(seed, (ulong)round);

    /// <summary>A sorted random subset of ⌈D·FeatureFraction⌉ feature indices.</summary>
    public int[] Features(int dim) =>
        Subset(Enumerable.Range(0, dim).ToArray(), (int)Math.Ceiling(dim * FeatureFraction), _rng.Substream(FeatureStream));

    /// <summary>Per class, a random ⌈count·SupportFraction⌉ of its supports; rows sorted.</summary>
    public int[] Supports(int[] labels, int ways)
    {
        var rows = new List<int>();
        for (int c = 0; c < ways; c++)
        {
            var own = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).ToArray();
            rows.AddRange(Subset(own, Math.Max(1, (int)Math.Ceiling(own.Length * SupportFraction)), _rng.Substream(SupportStream).Substream((ulong)c)));
        }
        rows.Sort();
        return rows.ToArray();
    }

    /// <summary>`count` of the classes: all of them in order for a full round, a seeded random subset for the last partial one.</summary>
    public int[] Classes(int ways, int count) =>
        count == ways ? Enumerable.Range(0, ways).ToArray() : Subset(Enumerable.Range(0, ways).ToArray(), count, _rng.Substream(ClassStream));

    // The first k of a counter-based Fisher–Yates shuffle, sorted.
    private static int[] Subset(int[] items, int k, CounterRng rng)
    {
        var pool = (int[])items.Clone();
        for (int i = 0; i < k; i++)
        {
            int j = i + rng.Below((ulong)i, pool.Length - i);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        var chosen = pool[..k];
        Array.Sort(chosen);
        return chosen;
    }
}
