using System.Numerics;

namespace Lshk.Tests.Reference;

/// <summary>
/// Plain scalar implementations of every LSH operation, written for clarity only: the independent
/// expectation both backends are tested against.
/// </summary>
public static class ScalarReference
{
    /// <summary>Projection with the canonical summation order: d ascending, multiply then add in float.</summary>
    public static float Projection(float[] x, int row, int d, float[] planes, int plane, float offset)
    {
        float acc = 0f;
        for (int j = 0; j < d; j++)
        {
            float product = x[row * d + j] * planes[plane * d + j];
            acc += product;
        }
        return acc + offset;
    }

    public static float[] Project(float[] x, int n, int d, float[] planes, float[]? offsets, int p)
    {
        var result = new float[n * p];
        for (int r = 0; r < n; r++)
            for (int i = 0; i < p; i++)
                result[r * p + i] = Projection(x, r, d, planes, i, offsets is { Length: > 0 } ? offsets[i] : 0f);
        return result;
    }

    public static uint[] ProjectPack(float[] x, int n, int d, float[] planes, float[]? offsets, int p)
    {
        int w = (p + 31) / 32;
        var codes = new uint[n * w];
        float[] proj = Project(x, n, d, planes, offsets, p);
        for (int r = 0; r < n; r++)
            for (int i = 0; i < p; i++)
                if (proj[r * p + i] >= 0f)
                    codes[r * w + i / 32] |= 1u << (i % 32);
        return codes;
    }

    public static int Hamming(uint[] a, int ra, uint[] b, int rb, int words)
    {
        int h = 0;
        for (int j = 0; j < words; j++) h += BitOperations.PopCount(a[ra * words + j] ^ b[rb * words + j]);
        return h;
    }

    /// <summary>Top-k by XNOR count (bits − Hamming), best first, ties to the lower index; -1/-1 padding.</summary>
    public static (int[] idx, int[] score) HammingTopK(uint[] support, int n, uint[] queries, int q, int bits, int k)
    {
        int words = (bits + 31) / 32;
        var idx = new int[q * k];
        var score = new int[q * k];
        for (int r = 0; r < q; r++)
        {
            var order = Enumerable.Range(0, n)
                .Select(s => (s, xnor: bits - Hamming(queries, r, support, s, words)))
                .OrderByDescending(t => t.xnor).ThenBy(t => t.s).ToArray();
            for (int j = 0; j < k; j++)
            {
                idx[r * k + j] = j < order.Length ? order[j].s : -1;
                score[r * k + j] = j < order.Length ? order[j].xnor : -1;
            }
        }
        return (idx, score);
    }

    public static double Cosine(float[] a, int ra, float[] b, int rb, int d)
    {
        double dot = 0, na = 0, nb = 0;
        for (int j = 0; j < d; j++)
        {
            double x = a[ra * d + j], y = b[rb * d + j];
            dot += x * y; na += x * x; nb += y * y;
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    public static (int[] idx, double[] score) CosineTopK(float[] support, int n, float[] queries, int q, int d, int k)
    {
        var idx = new int[q * k];
        var score = new double[q * k];
        for (int r = 0; r < q; r++)
        {
            var order = Enumerable.Range(0, n)
                .Select(s => (s, c: Cosine(queries, r, support, s, d)))
                .OrderByDescending(t => t.c).ThenBy(t => t.s).ToArray();
            for (int j = 0; j < k; j++)
            {
                idx[r * k + j] = j < order.Length ? order[j].s : -1;
                score[r * k + j] = j < order.Length ? order[j].c : double.NegativeInfinity;
            }
        }
        return (idx, score);
    }

    public static uint[] MajorityCodes(uint[] codes, int n, int bits, int[] labels, int classes)
    {
        int words = (bits + 31) / 32;
        var result = new uint[classes * words];
        for (int c = 0; c < classes; c++)
        {
            int members = labels.Count(l => l == c);
            if (members == 0) continue;
            for (int i = 0; i < bits; i++)
            {
                int ones = 0;
                for (int r = 0; r < n; r++)
                    if (labels[r] == c && (codes[r * words + i / 32] >> (i % 32) & 1) != 0) ones++;
                if (2 * ones >= members) result[c * words + i / 32] |= 1u << (i % 32);
            }
        }
        return result;
    }

    public static double[] ClassMeans(float[] x, int n, int d, int[] labels, int classes)
    {
        var sum = new double[classes * d];
        var count = new int[classes];
        for (int r = 0; r < n; r++)
        {
            count[labels[r]]++;
            for (int j = 0; j < d; j++) sum[labels[r] * d + j] += x[r * d + j];
        }
        for (int c = 0; c < classes; c++)
            for (int j = 0; j < d; j++)
                sum[c * d + j] = count[c] == 0 ? 0 : sum[c * d + j] / count[c];
        return sum;
    }

    public static double SigmoidScore(float[] qp, int rq, float[] sp, int rs, int p, double sharpness)
    {
        double total = 0;
        for (int i = 0; i < p; i++) total += 1.0 / (1.0 + Math.Exp(-sharpness * sp[rs * p + i] * qp[rq * p + i]));
        return total;
    }

    /// <summary>
    /// The asymmetric score in float64: Σ_i p_i·(bit i of the support's code set ? +1 : −1), i ascending. The
    /// expectation for Cpu.CpuAsymmetricIndex and Gpu.AsymmetricKernels.
    /// </summary>
    public static double AsymmetricScore(float[] projections, int query, uint[] codes, int support, int bits)
    {
        int words = (bits + 31) / 32;
        double total = 0;
        for (int i = 0; i < bits; i++)
        {
            double p = projections[query * bits + i];
            total += (codes[support * words + i / 32] >> (i % 32) & 1) != 0 ? p : -p;
        }
        return total;
    }

    /// <summary>Top-k by asymmetric score, best first, ties to the lower index; -1/-∞ padding.</summary>
    public static (int[] idx, double[] score) AsymmetricTopK(float[] projections, int q, uint[] codes, int n, int bits,
        int k)
    {
        var idx = new int[q * k];
        var score = new double[q * k];
        for (int r = 0; r < q; r++)
        {
            var order = Enumerable.Range(0, n)
                .Select(s => (s, a: AsymmetricScore(projections, r, codes, s, bits)))
                .OrderByDescending(t => t.a).ThenBy(t => t.s).ToArray();
            for (int j = 0; j < k; j++)
            {
                idx[r * k + j] = j < order.Length ? order[j].s : -1;
                score[r * k + j] = j < order.Length ? order[j].a : double.NegativeInfinity;
            }
        }
        return (idx, score);
    }
}
