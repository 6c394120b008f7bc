using System.Numerics;
using System.Runtime.Intrinsics;

namespace Lshk.Kernels.Cpu;

/// <summary>
/// Product-quantiser codes on the CPU (layout: <see cref="ProductCodes"/>; GPU kernels: <c>Gpu.ProductCodeKernels</c>;
/// float64 reference: tests/Reference/ProductCodeReference.cs). Coding and the query tables run over the 256 centroids
/// of a subspace as SIMD lanes, with the centroids laid out run-position-major (position t of centroid c at
/// t·256 + c), so every lane sums its own centroid's terms in the kernel's order (increasing position, multiply then
/// add, never fused); the scan over supports keeps eight supports' sums apart, each in subspace order. So the two
/// backends give the same floats, codes and order.
/// </summary>
internal static class CpuProductCodes
{
    private const int K = ProductCodes.Centroids;

    /// <summary>Each item's nearest centroid per subspace (squared distance, ties to the lower centroid), packed.</summary>
    public static void Quantize(ReadOnlySpan<float> x, int n, int d, ReadOnlySpan<float> centroids, int subspaces,
        Span<uint> codes)
    {
        int run = BackendChecks.QuantizeProducts(x, n, d, centroids, subspaces, codes);
        if (n == 0) return;
        float[] byPosition = ByPosition(centroids, subspaces, run, shift: default);
        float[] items = x.ToArray();
        int words = ProductCodes.Words(subspaces);
        var result = new uint[(long)n * words];
        Parallel.For(0, n, () => new float[K], (r, _, distance) =>
        {
            for (int j = 0; j < subspaces; j++)
            {
                distance.AsSpan().Clear();
                for (int t = 0; t < run; t++)
                {
                    var value = new Vector<float>(items[(long)r * d + j * run + t]);
                    var row = byPosition.AsSpan((j * run + t) * K, K);
                    for (int c = 0; c < K; c += Vector<float>.Count)
                    {
                        var diff = value - new Vector<float>(row[c..]);
                        var acc = new Vector<float>(distance.AsSpan(c)) + diff * diff;
                        acc.CopyTo(distance.AsSpan(c));
                    }
                }
                int best = 0;
                for (int c = 1; c < K; c++)
                    if (distance[c] < distance[best]) best = c;
                result[(long)r * words + (j >> 2)] |= (uint)best << ((j & 3) << 3);
            }
            return distance;
        }, _ => { });
        result.CopyTo(codes);
    }

    /// <summary>
    /// Top-k supports by q·r/‖r‖, r a support's reconstruction (its centroids, plus <paramref name="shift"/>): per query
    /// a table of q's dot product with every shifted centroid of each subspace, then M look-ups per support, divided by
    /// the support's ‖r‖ (computed once, from per-centroid squared norms summed in subspace order). ‖r‖ = 0 scores 0.
    /// </summary>
    public static TopK<float> TopK(ReadOnlySpan<float> queries, int q, ReadOnlySpan<uint> codes, int n, int d,
        ReadOnlySpan<float> centroids, int subspaces, ReadOnlySpan<float> shift, int k)
    {
        int run = BackendChecks.ProductCodeTopK(queries, q, codes, n, d, centroids, subspaces, shift, k);
        var result = Kernels.TopK.ForFloats(q, k);
        if (q == 0 || n == 0) return result;
        float[] byPosition = ByPosition(centroids, subspaces, run, shift);
        float[] roots = SupportRoots(codes, n, subspaces, run, byPosition);
        byte[] bySupport = BySupport(codes, n, subspaces);
        float[] queryRows = queries.ToArray();
        var best = RunningTopK.ForFloats(q, k);
        Parallel.For(0, q, () => new float[subspaces * K], (r, _, table) =>
        {
            Tables(queryRows.AsSpan(r * d, d), byPosition, subspaces, run, table);
            // each task offers only to its own query's row, so the rows need no lock
            int s = ScanEights(table, bySupport, roots, n, subspaces, best, r);
            for (; s < n; s++)
            {
                float sum = 0f;
                for (int j = 0; j < subspaces; j++) sum += table[j * K + bySupport[(long)s * subspaces + j]];
                best.Offer(r, roots[s] == 0f ? 0f : sum / roots[s], s);
            }
            return table;
        }, _ => { });
        best.WriteTo(result, 0, q);
        return result;
    }

    /// <summary>
    /// Eight supports at a time with scalar look-ups (each support's M bytes contiguous): eight independent sums, so
    /// the look-ups and adds of different supports overlap; each sum still runs in subspace order, the scalar loop's
    /// floats exactly. Returns the first support left for the scalar loop.
    /// </summary>
    private static unsafe int ScanEights(float[] table, byte[] bySupport, float[] roots, int n, int subspaces,
        RunningTopK<float> best, int row)
    {
        const int Lanes = 8;
        int s = 0;
        fixed (float* t = table)
        fixed (byte* c = bySupport)
        {
            for (; s + Lanes <= n; s += Lanes)
            {
                byte* c0 = c + (long)s * subspaces;
                int m = subspaces;
                float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f, a4 = 0f, a5 = 0f, a6 = 0f, a7 = 0f;
                for (int j = 0; j < m; j++)
                {
                    float* tj = t + j * K;
                    a0 += tj[c0[j]];
                    a1 += tj[c0[m + j]];
                    a2 += tj[c0[2 * m + j]];
                    a3 += tj[c0[3 * m + j]];
                    a4 += tj[c0[4 * m + j]];
                    a5 += tj[c0[5 * m + j]];
                    a6 += tj[c0[6 * m + j]];
                    a7 += tj[c0[7 * m + j]];
                }
                // one vector division for the eight scores (the same correctly rounded quotients as the scalar loop's)
                var root = Vector256.Create(roots.AsSpan(s, Lanes));
                var score = Vector256.ConditionalSelect(Vector256.Equals(root, Vector256<float>.Zero), Vector256<float>.Zero,
                    Vector256.Create(a0, a1, a2, a3, a4, a5, a6, a7) / root);
                uint beats = Vector256.GreaterThan(score, Vector256.Create(best.Worst(row))).ExtractMostSignificantBits();
                while (beats != 0)
                {
                    int lane = BitOperations.TrailingZeroCount(beats);
                    best.Offer(row, score.GetElement(lane), s + lane);
                    beats &= beats - 1;
                }
            }
        }
        return s;
    }

    /// <summary>The codes' bytes support-major and unpadded: byte j of support s at s·M + j.</summary>
    private static byte[] BySupport(ReadOnlySpan<uint> codes, int n, int subspaces)
    {
        int words = ProductCodes.Words(subspaces);
        var result = new byte[(long)subspaces * n];
        for (int s = 0; s < n; s++)
        {
            var code = codes.Slice(s * words, words);
            for (int j = 0; j < subspaces; j++) result[(long)s * subspaces + j] = (byte)ProductCodes.Byte(code, j);
        }
        return result;
    }

    /// <summary>table[j·256 + c] = Σ_t query[j·run + t] · centroid(j, c)[t], t increasing.</summary>
    private static void Tables(ReadOnlySpan<float> query, float[] byPosition, int subspaces, int run, Span<float> table)
    {
        table.Clear();
        for (int j = 0; j < subspaces; j++)
            for (int t = 0; t < run; t++)
            {
                var value = new Vector<float>(query[j * run + t]);
                var row = byPosition.AsSpan((j * run + t) * K, K);
                var target = table.Slice(j * K, K);
                for (int c = 0; c < K; c += Vector<float>.Count)
                    (new Vector<float>(target[c..]) + value * new Vector<float>(row[c..])).CopyTo(target[c..]);
            }
    }

    /// <summary>‖r‖ of each support: √(Σ_j Σ_t centroid(j, c_j)[t]²), the inner sum over t first, then over j.</summary>
    private static float[] SupportRoots(ReadOnlySpan<uint> codes, int n, int subspaces, int run, float[] byPosition)
    {
        var squares = new float[subspaces * K];
        for (int j = 0; j < subspaces; j++)
            for (int t = 0; t < run; t++)
            {
                var row = byPosition.AsSpan((j * run + t) * K, K);
                var target = squares.AsSpan(j * K, K);
                for (int c = 0; c < K; c += Vector<float>.Count)
                {
                    var v = new Vector<float>(row[c..]);
                    (new Vector<float>(target[c..]) + v * v).CopyTo(target[c..]);
                }
            }
        int words = ProductCodes.Words(subspaces);
        var roots = new float[n];
        for (int s = 0; s < n; s++)
        {
            var code = codes.Slice(s * words, words);
            float sum = 0f;
            for (int j = 0; j < subspaces; j++) sum += squares[j * K + ProductCodes.Byte(code, j)];
            roots[s] = MathF.Sqrt(sum);
        }
        return roots;
    }

    /// <summary>
    /// The centroids run-position-major, (j·run + t)·256 + c, each plus <paramref name="shift"/>[j·run + t] when a shift
    /// is given (one rounded add, as the kernels do).
    /// </summary>
    private static float[] ByPosition(ReadOnlySpan<float> centroids, int subspaces, int run, ReadOnlySpan<float> shift)
    {
        var result = new float[centroids.Length];
        for (int j = 0; j < subspaces; j++)
            for (int c = 0; c < K; c++)
                for (int t = 0; t < run; t++)
                {
                    float value = centroids[(j * K + c) * run + t];
                    result[(j * run + t) * K + c] = shift.IsEmpty ? value : value + shift[j * run + t];
                }
        return result;
    }
}
