using ILGPU;
using Lshk.Kernels.Gpu;

namespace Lshk.Kernels.Nn.Gpu;

/// <summary>
/// The prototypical loss of a class-major episode (see <see cref="EpisodeShape"/>): E the embeddings (Batch × D),
/// Proto the prototypes (Ways × D), Logits the per-query dL/dlogits (Queries·Ways × Ways), PerQuery the loss and
/// correctness of each query (2 × Queries·Ways), DE the embedding gradient.
/// </summary>
internal readonly record struct LossArgs(int Ways, int Shots, int Queries, int Dim, ArrayView<float> E, ArrayView<float> Proto,
    ArrayView<float> Logits, ArrayView<float> PerQuery, ArrayView<float> DE)
{
    public int PerClass => Shots + Queries;

    /// <summary>Batch row of query q (queries numbered class by class).</summary>
    public int QueryRow(int q) => q / Queries * PerClass + Shots + q % Queries;
}

internal static class LossKernels
{
    private const float Log2E = 1.442695041f, Ln2 = 0.693147181f;

    /// <summary>Proto[c][j] = mean of class c's supports' embedding j.</summary>
    [GpuKernel]
    public static void Prototypes(LossArgs a)
    {
        int total = a.Ways * a.Dim;
        for (int t = Threads.Global; t < total; t += Threads.Total)
        {
            int c = t / a.Dim, j = t % a.Dim;
            float sum = 0f;
            for (int s = 0; s < a.Shots; s++) sum += a.E[(long)(c * a.PerClass + s) * a.Dim + j];
            a.Proto[t] = sum / a.Shots;
        }
    }

    /// <summary>
    /// One thread per query: logits −‖e − p_c‖², the loss log Σ exp − logit[y], whether the top logit is the true
    /// class (ties to the lower class), and dL/dlogit_c = (softmax_c − [c = y]) / queries into Logits.
    /// </summary>
    [GpuKernel]
    public static void Scores(LossArgs a)
    {
        int queries = a.Ways * a.Queries;
        for (int q = Threads.Global; q < queries; q += Threads.Total)
        {
            int y = q / a.Queries;
            long row = (long)a.QueryRow(q) * a.Dim;
            long logits = (long)q * a.Ways;
            float max = float.NegativeInfinity;
            int best = 0;
            for (int c = 0; c < a.Ways; c++)
            {
                float dist = 0f;
                for (int j = 0; j < a.Dim; j++)
                {
                    float diff = a.E[row + j] - a.Proto[(long)c * a.Dim + j];
                    dist += diff * diff;
                }
                a.Logits[logits + c] = -dist;
                if (-dist > max)
                {
                    max = -dist;
                    best = c;
                }
            }
            float sum = 0f;
            for (int c = 0; c < a.Ways; c++) sum += IntrinsicMath.CPUOnly.Exp2((a.Logits[logits + c] - max) * Log2E);
            float logSum = max + IntrinsicMath.CPUOnly.Log2(sum) * Ln2;
            a.PerQuery[q] = logSum - a.Logits[logits + y];
            a.PerQuery[queries + q] = best == y ? 1f : 0f;
            for (int c = 0; c < a.Ways; c++)
            {
                float p = IntrinsicMath.CPUOnly.Exp2((a.Logits[logits + c] - logSum) * Log2E);
                a.Logits[logits + c] = (p - (c == y ? 1f : 0f)) / queries;
            }
        }
    }

    /// <summary>One thread per (query, j): dL/de_q[j] = Σ_c g_qc·(−2)(e_q[j] − p_c[j]).</summary>
    [GpuKernel]
    public static void QueryGradient(LossArgs a)
    {
        int queries = a.Ways * a.Queries;
        long total = (long)queries * a.Dim;
        for (long t = Threads.Global; t < total; t += Threads.Total)
        {
            int q = (int)(t / a.Dim), j = (int)(t % a.Dim);
            long row = (long)a.QueryRow(q) * a.Dim;
            float e = a.E[row + j], sum = 0f;
            for (int c = 0; c < a.Ways; c++) sum += a.Logits[(long)q * a.Ways + c] * (e - a.Proto[(long)c * a.Dim + j]);
            a.DE[row + j] = -2f * sum;
        }
    }

    /// <summary>One thread per (class, j): dL/dp_c[j] = Σ_q g_qc·2(e_q[j] − p_c[j]), shared by the class's supports.</summary>
    [GpuKernel]
    public static void SupportGradient(LossArgs a)
    {
        int queries = a.Ways * a.Queries;
        int total = a.Ways * a.Dim;
        for (int t = Threads.Global; t < total; t += Threads.Total)
        {
            int c = t / a.Dim, j = t % a.Dim;
            float p = a.Proto[t], sum = 0f;
            for (int q = 0; q < queries; q++)
                sum += a.Logits[(long)q * a.Ways + c] * (a.E[(long)a.QueryRow(q) * a.Dim + j] - p);
            float share = 2f * sum / a.Shots;
            for (int s = 0; s < a.Shots; s++) a.DE[(long)(c * a.PerClass + s) * a.Dim + j] = share;
        }
    }
}
