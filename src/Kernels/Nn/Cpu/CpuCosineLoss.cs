using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// The matching and cosine-mean losses on the CPU, in double precision (they are small: queries × supports × dim).
/// n_i = e_i / r_i with r_i = √(‖e_i‖² + ε); cos_qs = n_q·n_s over every query q and support s.
/// Matching: a_qs = scale·cos_qs, L_q = logΣ_s exp a_qs − logΣ_{s∈y} exp a_qs, so
/// dL/dcos_qs = scale·(softmax_s − [s∈y]·exp a_qs / Σ_{s'∈y} exp a_qs') / Q.
/// Cosine-mean: z_qc = scale·mean_{s∈c} cos_qs = scale·n_q·m_c with m_c = mean_{s∈c} n_s, L_q = logΣ_c exp z_qc − z_qy,
/// so dn_q = scale·Σ_c dz_qc m_c and dn_s = scale·Σ_q dz_qc n_q / shots for s in class c, dz_qc = (softmax_c − [c = y]) / Q:
/// one product per query and class instead of per query and support (a fifth of the work at 5 shots; the hash
/// layer's code loss runs it every training episode).
/// Matching's backward of the cosines: dn_q = Σ_s G_qs n_s, dn_s = Σ_q G_qs n_q; both then dL/de = (dn − n (n·dn)) / r.
/// The row operations (dot products, scaled additions) are vectorised with TensorPrimitives; single-threaded, as the
/// episode is small next to the network (60-way 5-shot 5-query at 64 dimensions: a few milliseconds). The GPU form is
/// <see cref="Gpu.CosineLossKernels"/> (a thread per query–support cosine there); the float64 reference is the tests'
/// <c>CosineLossReference</c>.
/// </summary>
internal sealed unsafe class CpuCosineLoss
{
    private readonly PinnedScratch<double> _normal = new(), _norm = new(), _g = new(), _dNormal = new(), _class = new(),
        _means = new(), _dMeans = new();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public (float Loss, float Accuracy) Compute(float* e, in EpisodeShape ep, CosineLossMode mode, float scale, float* de, float margin = 0f)
    {
        int d = ep.Dim;
        double* n = _normal.Ensure(ep.Batch * d);
        double* r = _norm.Ensure(ep.Batch);
        double* dn = _dNormal.EnsureZeroed(ep.Batch * d);

        for (int i = 0; i < ep.Batch; i++)
        {
            float* row = e + (long)i * d;
            var ni = Row(n, i, d);
            for (int j = 0; j < d; j++) ni[j] = row[j];
            r[i] = Math.Sqrt(TensorPrimitives.SumOfSquares<double>(ni) + CosineLoss.NormEpsilon);
            TensorPrimitives.Divide(ni, r[i], ni);
        }

        var (loss, correct) = mode == CosineLossMode.Matching ? Matching(n, dn, ep, scale) : CosineMean(n, dn, ep, scale, margin);

        // through the normalisation
        for (int i = 0; i < ep.Batch; i++)
        {
            var ni = Row(n, i, d);
            var dni = Row(dn, i, d);
            double dot = TensorPrimitives.Dot<double>(ni, dni);
            float* dRow = de + (long)i * d;
            for (int j = 0; j < d; j++) dRow[j] = (float)((dni[j] - ni[j] * dot) / r[i]);
        }
        int queries = ep.Ways * ep.Queries;
        return ((float)(loss / queries), (float)correct / queries);
    }

    /// <summary>The matching loss summed over queries and its gradient with respect to the normalised rows (into dn).</summary>
    private (double Loss, int Correct) Matching(double* n, double* dn, in EpisodeShape ep, double scale)
    {
        int d = ep.Dim, supports = ep.Ways * ep.Shots, queries = ep.Ways * ep.Queries;
        double* g = _g.Ensure(queries * supports);
        double loss = 0;
        int correct = 0;
        for (int q = 0; q < queries; q++)
        {
            int y = q / ep.Queries;
            double* gq = g + (long)q * supports;
            var nq = Row(n, QueryRow(ep, q), d);
            for (int s = 0; s < supports; s++) gq[s] = TensorPrimitives.Dot<double>(nq, Row(n, SupportRow(ep, s), d));
            var (queryLoss, best) = MatchingQuery(gq, ep, y, scale, queries);
            loss += queryLoss;
            if (best == y) correct++;
        }

        // dn from the cosine gradients G (queries × supports)
        for (int q = 0; q < queries; q++)
        {
            double* gq = g + (long)q * supports;
            var nq = Row(n, QueryRow(ep, q), d);
            var dnq = Row(dn, QueryRow(ep, q), d);
            for (int s = 0; s < supports; s++)
            {
                var dns = Row(dn, SupportRow(ep, s), d);
                TensorPrimitives.MultiplyAdd(Row(n, SupportRow(ep, s), d), gq[s], dnq, dnq);
                TensorPrimitives.MultiplyAdd(nq, gq[s], dns, dns);
            }
        }
        return (loss, correct);
    }

    /// <summary>
    /// The cosine-mean loss summed over queries and its gradient with respect to the normalised rows (into dn). A
    /// margin m lowers the true class's logit by scale·m in the loss (not in the accuracy); dz has the same form on
    /// the lowered logits, as the shift is a constant.
    /// </summary>
    private (double Loss, int Correct) CosineMean(double* n, double* dn, in EpisodeShape ep, double scale, double margin)
    {
        int d = ep.Dim, ways = ep.Ways, queries = ways * ep.Queries;
        double* means = _means.EnsureZeroed(ways * d);
        double* dMeans = _dMeans.EnsureZeroed(ways * d);
        double* z = _class.Ensure(ways);
        for (int c = 0; c < ways; c++)
        {
            var mean = Row(means, c, d);
            for (int k = 0; k < ep.Shots; k++) TensorPrimitives.Add(mean, Row(n, c * ep.PerClass + k, d), mean);
            TensorPrimitives.Divide(mean, ep.Shots, mean);
        }

        double loss = 0;
        int correct = 0;
        for (int q = 0; q < queries; q++)
        {
            int y = q / ep.Queries;
            var nq = Row(n, QueryRow(ep, q), d);
            double max = double.NegativeInfinity;
            int best = 0;
            for (int c = 0; c < ways; c++)
            {
                z[c] = scale * TensorPrimitives.Dot<double>(nq, Row(means, c, d));
                if (z[c] > max) { max = z[c]; best = c; }
            }
            if (best == y) correct++;
            z[y] -= scale * margin;
            double total = 0;
            for (int c = 0; c < ways; c++) total += Math.Exp(z[c] - max);
            double logSum = max + Math.Log(total);
            loss += logSum - z[y];

            var dnq = Row(dn, QueryRow(ep, q), d);
            for (int c = 0; c < ways; c++)
            {
                double g = scale * (Math.Exp(z[c] - logSum) - (c == y ? 1 : 0)) / queries;
                TensorPrimitives.MultiplyAdd(Row(means, c, d), g, dnq, dnq);
                TensorPrimitives.MultiplyAdd(nq, g, Row(dMeans, c, d), Row(dMeans, c, d));
            }
        }
        // a class mean's gradient shared equally by its supports
        for (int c = 0; c < ways; c++)
            for (int k = 0; k < ep.Shots; k++)
                TensorPrimitives.Divide(Row(dMeans, c, d), ep.Shots, Row(dn, c * ep.PerClass + k, d));
        return (loss, correct);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Span<double> Row(double* matrix, int row, int d) => new(matrix + (long)row * d, d);

    /// <summary>Batch row of query q (numbered class by class).</summary>
    private static int QueryRow(in EpisodeShape ep, int q) => q / ep.Queries * ep.PerClass + ep.Shots + q % ep.Queries;

    /// <summary>Batch row of support s (numbered class by class).</summary>
    private static int SupportRow(in EpisodeShape ep, int s) => s / ep.Shots * ep.PerClass + s % ep.Shots;

    /// <summary>Given the query's cosines in <paramref name="gq"/>, returns its loss and best class and overwrites gq with dL/dcos.</summary>
    private static (double Loss, int Best) MatchingQuery(double* gq, in EpisodeShape ep, int y, double scale, int queries)
    {
        int supports = ep.Ways * ep.Shots;
        double max = double.NegativeInfinity, maxY = double.NegativeInfinity;
        for (int s = 0; s < supports; s++)
        {
            max = Math.Max(max, scale * gq[s]);
            if (s / ep.Shots == y) maxY = Math.Max(maxY, scale * gq[s]);
        }
        // the true class's mass relative to its own maximum, so that −log p stays finite when it is tiny
        double all = 0, trueClass = 0, bestMass = -1;
        int best = 0;
        for (int c = 0; c < ep.Ways; c++)
        {
            double mass = 0;
            for (int s = c * ep.Shots; s < (c + 1) * ep.Shots; s++) mass += Math.Exp(scale * gq[s] - max);
            all += mass;
            if (mass > bestMass) { bestMass = mass; best = c; }
        }
        for (int s = y * ep.Shots; s < (y + 1) * ep.Shots; s++) trueClass += Math.Exp(scale * gq[s] - maxY);
        for (int s = 0; s < supports; s++)
        {
            double a = scale * gq[s];
            double own = s / ep.Shots == y ? Math.Exp(a - maxY) / trueClass : 0;
            gq[s] = scale * (Math.Exp(a - max) / all - own) / queries;
        }
        return (max + Math.Log(all) - maxY - Math.Log(trueClass), best);
    }
}
