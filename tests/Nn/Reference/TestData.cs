namespace Lshk.Tests.Nn.Reference;

/// <summary>Seeded random inputs for the neural-net tests.</summary>
public static class TestData
{
    /// <summary>Uniform values in [−scale, scale], rounded to float so the float32 and float64 paths see the same inputs.</summary>
    public static double[] Uniform(int seed, int count, double scale = 1.0)
    {
        var rng = new System.Random(seed);
        return Enumerable.Range(0, count).Select(_ => (double)(float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    /// <summary>Values at least <paramref name="gap"/> away from 0 in magnitude (no ReLU kink within the gap).</summary>
    public static double[] AwayFromZero(int seed, int count, double gap = 0.05)
    {
        var rng = new System.Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            double v = gap + rng.NextDouble() * (1 - gap);
            return (double)(float)(rng.Next(2) == 0 ? v : -v);
        }).ToArray();
    }

    public static float[] ToFloat(this double[] values) => values.Select(v => (float)v).ToArray();

    public static double[] ToDouble(this float[] values) => values.Select(v => (double)v).ToArray();
}
