namespace Lshk.Tests.Gpu;

/// <summary>Seeded random inputs and comparison helpers for the GPU-vs-CPU tests.</summary>
internal static class GpuTestData
{
    /// <summary>Relative tolerance of float results: |a − b| ≤ 1e-5 · max(1, |b|) (cosines are ≤ 1 in magnitude).</summary>
    public const double Tolerance = 1e-5;

    public static float[] Floats(Random rng, int count, float scale = 1f) =>
        Enumerable.Range(0, count).Select(_ => ((float)rng.NextDouble() * 2f - 1f) * scale).ToArray();

    /// <summary>n random codes of the given bits, with the unused high bits of the last word zero.</summary>
    public static uint[] Codes(Random rng, int n, int bits)
    {
        int words = (bits + 31) / 32;
        var codes = new uint[n * words];
        uint lastMask = bits % 32 == 0 ? uint.MaxValue : (1u << (bits % 32)) - 1;
        for (int r = 0; r < n; r++)
            for (int w = 0; w < words; w++)
                codes[r * words + w] = (uint)rng.NextInt64(0, 1L << 32) & (w == words - 1 ? lastMask : uint.MaxValue);
        return codes;
    }

    /// <summary>Codes drawn from only <paramref name="distinct"/> different patterns, so many supports tie.</summary>
    public static uint[] DuplicatedCodes(Random rng, int n, int bits, int distinct)
    {
        int words = (bits + 31) / 32;
        uint[] patterns = Codes(rng, distinct, bits);
        var codes = new uint[n * words];
        for (int r = 0; r < n; r++)
            Array.Copy(patterns, rng.Next(distinct) * words, codes, r * words, words);
        return codes;
    }

    public static bool Close(double actual, double expected) =>
        Math.Abs(actual - expected) <= Tolerance * Math.Max(1.0, Math.Abs(expected));

    public static void AssertClose(double expected, double actual, string what)
    {
        if (!Close(actual, expected))
            Assert.Fail($"{what}: expected {expected:R}, got {actual:R} (tolerance {Tolerance} relative)");
    }

    /// <summary>
    /// Checks a float top-k row against exact scores of every support: each score within tolerance of the exact
    /// score at that rank, and the index equal wherever the exact score at that rank is separated from its
    /// neighbours by more than the tolerance (elsewhere a tie within rounding may legitimately swap).
    /// </summary>
    public static void AssertFloatTopK(double[] exactScores, ReadOnlySpan<int> indices, ReadOnlySpan<float> scores,
        int k, string what)
    {
        var order = Enumerable.Range(0, exactScores.Length)
            .OrderByDescending(s => exactScores[s]).ThenBy(s => s).ToArray();
        for (int j = 0; j < k; j++)
        {
            if (j >= order.Length)
            {
                Assert.Equal(-1, indices[j]);
                Assert.Equal(float.NegativeInfinity, scores[j]);
                continue;
            }
            double exact = exactScores[order[j]];
            AssertClose(exact, scores[j], $"{what} rank {j}");
            Assert.InRange(indices[j], 0, exactScores.Length - 1);
            AssertClose(exactScores[indices[j]], scores[j], $"{what} rank {j} score of its own index");
            double gap = 4 * Tolerance * Math.Max(1.0, Math.Abs(exact));
            bool separated = (j == 0 || exactScores[order[j - 1]] - exact > gap)
                && (j + 1 >= order.Length || exact - exactScores[order[j + 1]] > gap);
            if (separated) Assert.Equal(order[j], indices[j]);
        }
    }
}
