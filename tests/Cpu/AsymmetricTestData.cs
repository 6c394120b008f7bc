using Lshk.Kernels;
using Lshk.Tests.Reference;

namespace Lshk.Tests.Cpu;

/// <summary>The kinds of input the asymmetric search is tested on.</summary>
public enum AsymmetricCase
{
    /// <summary>Random codes and projections.</summary>
    Random,

    /// <summary>
    /// Codes drawn from 3 patterns and projections that are multiples of 1/8: many supports have exactly equal scores
    /// (exact in float64 too), so the order must follow the lower index exactly.
    /// </summary>
    Ties,

    /// <summary>
    /// Adversarial near-ties: supports are copies of a few patterns that differ only in planes whose projections are
    /// about 1e-6 of Σ|p| (far below what the 8-bit fast-scan tables resolve), and one projection 1000 times the
    /// rest makes one table's range dominate the quantisation step. Only exact scores order these correctly.
    /// </summary>
    NearTies,
}

/// <summary>Inputs and the comparison with the float64 reference for the asymmetric search tests (both backends).</summary>
internal static class AsymmetricTestData
{
    /// <summary>The test grid of both backends: P × N × input kind, N = 0, 1, k − 1 and 1000.</summary>
    public static TheoryData<int, int, AsymmetricCase> Cases(int k)
    {
        var data = new TheoryData<int, int, AsymmetricCase>();
        foreach (int bits in new[] { 8, 31, 64, 100, 256, 1000 })
            foreach (int n in new[] { 0, 1, k - 1, 1000 })
                foreach (var kind in Enum.GetValues<AsymmetricCase>())
                    data.Add(bits, n, kind);
        return data;
    }

    /// <summary>
    /// Tolerance relative to Σ|p_i|, the largest magnitude a query's score can have. Both backends sum on a grid of
    /// at most Σ|p_i|·2^-59 and the float64 reference rounds by about P·2^-53·Σ|p_i|, so 1e-9 is far above either
    /// and far below the 1e-6 the contract tolerates.
    /// </summary>
    public const double Tolerance = 1e-9;

    /// <summary>Float rounding of the returned score itself (2^-24 relative, with margin).</summary>
    public const double FloatRounding = 1.2e-7;

    private const int Patterns = 3;
    private const int TinyPlanes = 6;
    private const double TinyScale = 1e-6;
    private const float DominantScale = 1000f;

    public static (float[] projections, uint[] codes) Make(AsymmetricCase kind, int seed, int q, int n, int bits)
    {
        var rng = new Random(seed);
        int words = (bits + 31) / 32;
        var projections = new float[q * bits];
        var codes = new uint[n * words];
        switch (kind)
        {
            case AsymmetricCase.Random:
                for (int i = 0; i < projections.Length; i++) projections[i] = (float)(rng.NextDouble() * 2 - 1);
                for (int s = 0; s < n; s++) FillRandom(rng, codes.AsSpan(s * words, words), bits);
                break;
            case AsymmetricCase.Ties:
            {
                for (int i = 0; i < projections.Length; i++) projections[i] = rng.Next(-16, 17) / 8f;
                var patterns = new uint[Patterns * words];
                for (int t = 0; t < Patterns; t++) FillRandom(rng, patterns.AsSpan(t * words, words), bits);
                for (int s = 0; s < n; s++) patterns.AsSpan(rng.Next(Patterns) * words, words).CopyTo(codes.AsSpan(s * words));
                break;
            }
            case AsymmetricCase.NearTies:
            {
                int tiny = Math.Min(TinyPlanes, bits - 1);
                for (int r = 0; r < q; r++)
                {
                    var row = projections.AsSpan(r * bits, bits);
                    for (int i = 0; i < bits; i++) row[i] = (float)(rng.NextDouble() * 2 - 1);
                    // Plane 0 dominates; planes 1..tiny are about 1e-6 of Σ|p| (distinct, so near-ties are not
                    // exact ties, yet 1000 times the test's tolerance apart).
                    if (bits > 1) row[0] *= DominantScale;
                    double sum = 0;
                    foreach (float v in row) sum += Math.Abs(v);
                    for (int i = 1; i <= tiny; i++)
                        row[i] = (float)(TinyScale * sum * (rng.NextDouble() + 0.5)) * (rng.Next(2) * 2 - 1);
                }
                var patterns = new uint[Patterns * words];
                for (int t = 0; t < Patterns; t++) FillRandom(rng, patterns.AsSpan(t * words, words), bits);
                for (int s = 0; s < n; s++)
                {
                    var code = codes.AsSpan(s * words, words);
                    patterns.AsSpan(rng.Next(Patterns) * words, words).CopyTo(code);
                    for (int i = 1; i <= tiny; i++)
                        if (rng.Next(2) == 0) code[i / 32] ^= 1u << (i % 32);
                }
                break;
            }
        }
        return (projections, codes);
    }

    private static void FillRandom(Random rng, Span<uint> code, int bits)
    {
        for (int w = 0; w < code.Length; w++)
        {
            uint word = (uint)rng.NextInt64(0, 1L << 32);
            int valid = Math.Min(32, bits - w * 32);
            code[w] = valid < 32 ? word & ((1u << valid) - 1) : word;
        }
    }

    /// <summary>
    /// Checks a search result against the float64 reference: every row has the reference's scores (within float
    /// rounding), distinct indices, and at each rank the reference's index unless the reference's scores there are
    /// within <see cref="Tolerance"/> of a neighbour's (a near-tie the contract lets either order take).
    /// With <paramref name="exactTies"/> (scores exact in float64) the indices must equal the reference's exactly.
    /// </summary>
    public static void AssertMatchesReference(float[] projections, int q, uint[] codes, int n, int bits, int k,
        TopK<float> actual, bool exactTies, string what)
    {
        Assert.Equal(q, actual.Queries);
        Assert.Equal(k, actual.K);
        var (refIdx, refScore) = ScalarReference.AsymmetricTopK(projections, q, codes, n, bits, k);
        if (exactTies) Assert.Equal(refIdx, actual.Indices);
        for (int r = 0; r < q; r++)
        {
            double scale = 0;
            for (int i = 0; i < bits; i++) scale += Math.Abs(projections[r * bits + i]);
            double tol = Tolerance * scale;
            var seen = new HashSet<int>();
            for (int j = 0; j < k; j++)
            {
                int e = r * k + j;
                if (refIdx[e] < 0)
                {
                    Assert.Equal(-1, actual.Indices[e]);
                    Assert.Equal(float.NegativeInfinity, actual.Scores[e]);
                    continue;
                }
                int got = actual.Indices[e];
                Assert.InRange(got, 0, n - 1);
                Assert.True(seen.Add(got), $"{what}: query {r} lists support {got} twice");
                double gotRef = ScalarReference.AsymmetricScore(projections, r, codes, got, bits);
                if (Math.Abs(actual.Scores[e] - gotRef) > FloatRounding * Math.Abs(gotRef) + tol)
                    Assert.Fail($"{what}: query {r} rank {j} support {got}: score {actual.Scores[e]:R}, reference {gotRef:R}");
                if (got == refIdx[e]) continue;
                // A different index is allowed only inside a near-tie of the reference's ranking.
                if (Math.Abs(gotRef - refScore[e]) > tol)
                    Assert.Fail($"{what}: query {r} rank {j}: support {got} (reference score {gotRef:R}) instead of "
                        + $"{refIdx[e]} ({refScore[e]:R}), tolerance {tol:G3}");
            }
        }
    }
}
