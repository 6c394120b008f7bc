namespace Lshk.Tests.Reference;

/// <summary>
/// Product-quantiser codes in float64, written for clarity only (layout: Lshk.Kernels.ProductCodes): the independent
/// expectation of the CPU form and the GPU kernels.
/// </summary>
public static class ProductCodeReference
{
    public const int K = 256;

    /// <summary>Squared distance of item r's run j to centroid c of subspace j.</summary>
    public static double Distance(float[] x, int r, int d, float[] centroids, int subspaces, int j, int c)
    {
        int run = d / subspaces;
        double sum = 0;
        for (int t = 0; t < run; t++)
        {
            double diff = (double)x[r * d + j * run + t] - centroids[(j * K + c) * run + t];
            sum += diff * diff;
        }
        return sum;
    }

    /// <summary>The nearest centroid of run j of item r (lowest index among exact ties).</summary>
    public static int Nearest(float[] x, int r, int d, float[] centroids, int subspaces, int j)
    {
        int best = 0;
        double bestDistance = Distance(x, r, d, centroids, subspaces, j, 0);
        for (int c = 1; c < K; c++)
        {
            double distance = Distance(x, r, d, centroids, subspaces, j, c);
            if (distance < bestDistance) (best, bestDistance) = (c, distance);
        }
        return best;
    }

    /// <summary>Byte j of a packed code.</summary>
    public static int Byte(uint[] codes, int row, int words, int j) => (int)((codes[row * words + j / 4] >> (8 * (j % 4))) & 0xFF);

    /// <summary>A support's reconstruction: its centroids, each plus the shift (none when empty).</summary>
    public static double[] Reconstruction(uint[] codes, int s, int d, float[] centroids, int subspaces, float[] shift)
    {
        int run = d / subspaces, words = (subspaces + 3) / 4;
        var r = new double[d];
        for (int j = 0; j < subspaces; j++)
        {
            int c = Byte(codes, s, words, j);
            for (int t = 0; t < run; t++)
                r[j * run + t] = (double)centroids[(j * K + c) * run + t] + (shift.Length == 0 ? 0 : shift[j * run + t]);
        }
        return r;
    }

    /// <summary>q·r/‖r‖ for query row <paramref name="query"/> (0 when r = 0).</summary>
    public static double Score(float[] queries, int query, uint[] codes, int s, int d, float[] centroids, int subspaces, float[] shift)
    {
        var r = Reconstruction(codes, s, d, centroids, subspaces, shift);
        double dot = 0, squares = 0;
        for (int t = 0; t < d; t++)
        {
            dot += queries[query * d + t] * r[t];
            squares += r[t] * r[t];
        }
        return squares == 0 ? 0 : dot / Math.Sqrt(squares);
    }
}
