using ILGPU;
using Lshk.Kernels.Gpu;

namespace Lshk.Kernels.Nn.Gpu;

/// <summary>
/// The matching and cosine-mean losses of a class-major episode (see <see cref="EpisodeShape"/> and
/// <see cref="INnOps.MatchingLoss"/>): E the embeddings (Batch × D), N their normalised rows and Norm their norms
/// √(‖e‖² + ε), G the cosines and then dL/dcos (Queries·Ways × Shots·Ways, supports numbered class by class),
/// PerQuery the loss and correctness of each query (2 × Queries·Ways), DN the gradient of N, DE the embedding gradient.
/// Mode is a <see cref="CosineLossMode"/>; Margin the cosine-mean loss's additive margin on the true class (0: none).
/// </summary>
internal readonly record struct CosineLossArgs(int Ways, int Shots, int Queries, int Dim, int Mode, float Scale, float Margin,
    ArrayView<float> E, ArrayView<float> N, ArrayView<float> Norm, ArrayView<float> G, ArrayView<float> PerQuery,
    ArrayView<float> DN, ArrayView<float> DE)
{
    public int PerClass => Shots + Queries;
    public int Supports => Ways * Shots;
    public int QueryCount => Ways * Queries;
    public int Batch => Ways * PerClass;

    /// <summary>Batch row of query q (queries numbered class by class).</summary>
    public int QueryRow(int q) => q / Queries * PerClass + Shots + q % Queries;

    /// <summary>Batch row of support s (supports numbered class by class).</summary>
    public int SupportRow(int s) => s / Shots * PerClass + s % Shots;
}

internal static class CosineLossKernels
{
    private const float Log2E = 1.442695041f, Ln2 = 0.693147181f;

    private static float Exp(float x) => IntrinsicMath.CPUOnly.Exp2(x * Log2E);

    private static float Log(float x) => IntrinsicMath.CPUOnly.Log2(x) * Ln2;

    /// <summary>One thread per batch row: Norm = √(‖e‖² + ε), N = e / Norm.</summary>
    [GpuKernel]
    public static void Normalise(CosineLossArgs a)
    {
        for (int i = Threads.Global; i < a.Batch; i += Threads.Total)
        {
            long row = (long)i * a.Dim;
            float sq = 0f;
            for (int j = 0; j < a.Dim; j++) sq += a.E[row + j] * a.E[row + j];
            float r = MathF.Sqrt(sq + CosineLoss.NormEpsilon);
            a.Norm[i] = r;
            for (int j = 0; j < a.Dim; j++) a.N[row + j] = a.E[row + j] / r;
        }
    }

    /// <summary>
    /// One thread per query: its cosines to every support into its row of G, its loss and correctness (ties to the
    /// lower class), then dL/dcos over its row of G (formulas in <see cref="Cpu.CpuCosineLoss"/>).
    /// </summary>
    [GpuKernel]
    public static void Scores(CosineLossArgs a)
    {
        int queries = a.QueryCount, supports = a.Supports;
        for (int q = Threads.Global; q < queries; q += Threads.Total)
        {
            int y = q / a.Queries;
            long nq = (long)a.QueryRow(q) * a.Dim, gq = (long)q * supports;
            for (int s = 0; s < supports; s++)
            {
                long ns = (long)a.SupportRow(s) * a.Dim;
                float dot = 0f;
                for (int j = 0; j < a.Dim; j++) dot += a.N[nq + j] * a.N[ns + j];
                a.G[gq + s] = dot;
            }
            if (a.Mode == (int)CosineLossMode.Matching) MatchingQuery(a, q, y, gq);
            else CosineMeanQuery(a, q, y, gq);
        }
    }

    private static void MatchingQuery(CosineLossArgs a, int q, int y, long gq)
    {
        int queries = a.QueryCount, supports = a.Supports;
        float max = float.NegativeInfinity, maxY = float.NegativeInfinity;
        for (int s = 0; s < supports; s++)
        {
            float logit = a.Scale * a.G[gq + s];
            if (logit > max) max = logit;
            if (s / a.Shots == y && logit > maxY) maxY = logit;
        }
        float all = 0f, trueClass = 0f, bestMass = -1f;
        int best = 0;
        for (int c = 0; c < a.Ways; c++)
        {
            float mass = 0f;
            for (int s = c * a.Shots; s < (c + 1) * a.Shots; s++) mass += Exp(a.Scale * a.G[gq + s] - max);
            all += mass;
            if (mass > bestMass)
            {
                bestMass = mass;
                best = c;
            }
        }
        for (int s = y * a.Shots; s < (y + 1) * a.Shots; s++) trueClass += Exp(a.Scale * a.G[gq + s] - maxY);
        a.PerQuery[q] = max + Log(all) - maxY - Log(trueClass);
        a.PerQuery[queries + q] = best == y ? 1f : 0f;
        for (int s = 0; s < supports; s++)
        {
            float logit = a.Scale * a.G[gq + s];
            float own = s / a.Shots == y ? Exp(logit - maxY) / trueClass : 0f;
            a.G[gq + s] = a.Scale * (Exp(logit - max) / all - own) / queries;
        }
    }

    private static void CosineMeanQuery(CosineLossArgs a, int q, int y, long gq)
    {
        int queries = a.QueryCount;
        float max = float.NegativeInfinity;
        int best = 0;
        for (int c = 0; c < a.Ways; c++)
        {
            float z = ClassLogit(a, gq, c);
            if (z > max)
            {
                max = z;
                best = c;
            }
        }
        // The loss's logits: the true class's lowered by scale × margin (best above is of the plain ones); the max
        // stays a bound of them all, as the CPU form's.
        float total = 0f;
        for (int c = 0; c < a.Ways; c++) total += Exp(LossLogit(a, gq, c, y) - max);
        float logSum = max + Log(total);
        a.PerQuery[q] = logSum - LossLogit(a, gq, y, y);
        a.PerQuery[queries + q] = best == y ? 1f : 0f;
        // class c's logit is read before its entries of G are overwritten
        for (int c = 0; c < a.Ways; c++)
        {
            float dz = (Exp(LossLogit(a, gq, c, y) - logSum) - (c == y ? 1f : 0f)) / queries;
            for (int s = c * a.Shots; s < (c + 1) * a.Shots; s++) a.G[gq + s] = a.Scale * dz / a.Shots;
        }
    }

    /// <summary>Class c's logit as the loss sees it for a query of class y: lowered by scale × margin when c = y.</summary>
    private static float LossLogit(CosineLossArgs a, long gq, int c, int y) => ClassLogit(a, gq, c) - (c == y ? a.Scale * a.Margin : 0f);

    /// <summary>scale × the mean of class c's cosines in the query's row of G.</summary>
    private static float ClassLogit(CosineLossArgs a, long gq, int c)
    {
        float sum = 0f;
        for (int s = c * a.Shots; s < (c + 1) * a.Shots; s++) sum += a.G[gq + s];
        return a.Scale * sum / a.Shots;
    }

    /// <summary>
    /// One thread per (batch row, j): the gradient of the normalised embedding, DN = Σ_s G_qs n_s[j] for a query row
    /// and Σ_q G_qs n_q[j] for a support row.
    /// </summary>
    [GpuKernel]
    public static void NormalGradient(CosineLossArgs a)
    {
        long total = (long)a.Batch * a.Dim;
        int supports = a.Supports;
        for (long t = Threads.Global; t < total; t += Threads.Total)
        {
            int i = (int)(t / a.Dim), j = (int)(t % a.Dim);
            int c = i / a.PerClass, k = i % a.PerClass;
            float sum = 0f;
            if (k < a.Shots)
            {
                int s = c * a.Shots + k;
                for (int q = 0; q < a.QueryCount; q++) sum += a.G[(long)q * supports + s] * a.N[(long)a.QueryRow(q) * a.Dim + j];
            }
            else
            {
                long gq = (long)(c * a.Queries + k - a.Shots) * supports;
                for (int s = 0; s < supports; s++) sum += a.G[gq + s] * a.N[(long)a.SupportRow(s) * a.Dim + j];
            }
            a.DN[t] = sum;
        }
    }

    /// <summary>One thread per batch row: through the normalisation, dL/de = (dn − n (n·dn)) / Norm.</summary>
    [GpuKernel]
    public static void Project(CosineLossArgs a)
    {
        for (int i = Threads.Global; i < a.Batch; i += Threads.Total)
        {
            long row = (long)i * a.Dim;
            float dot = 0f;
            for (int j = 0; j < a.Dim; j++) dot += a.N[row + j] * a.DN[row + j];
            float r = a.Norm[i];
            for (int j = 0; j < a.Dim; j++) a.DE[row + j] = (a.DN[row + j] - a.N[row + j] * dot) / r;
        }
    }
}
