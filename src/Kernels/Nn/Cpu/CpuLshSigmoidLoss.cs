using System.Numerics.Tensors;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// The CPU form of <see cref="ILshSigmoidLossOp"/> (GPU form: <see cref="Gpu.IlgpuLshSigmoidLoss"/>). Projections
/// first (B×P), then one pass over queries (their logits, softmax and projection gradients) and one over supports
/// (theirs, recomputing the sigmoids): every output has one writer and one summation order, so results do not
/// depend on the thread count.
/// </summary>
internal sealed class CpuLshSigmoidLoss(CpuNnOps ops) : ILshSigmoidLossOp
{
    public (float Loss, float Accuracy) Compute(NnBuffer embeddings, NnBuffer weight, NnBuffer offsets, in EpisodeShape episode,
        in LshSigmoidSettings settings, NnBuffer dEmbeddings, NnBuffer? dWeight, NnBuffer? dOffsets)
    {
        var ep = episode;
        var st = settings;
        int p = st.Planes, d = ep.Dim, batch = ep.Batch;
        int queries = ep.Ways * ep.Queries, supports = ep.Ways * ep.Shots;
        float[] e = ops.SpanOf(embeddings).ToArray(), w = ops.SpanOf(weight).ToArray(), o = ops.SpanOf(offsets).ToArray();

        // Projections of every row; supports add the offsets.
        var proj = new float[batch * p];
        Parallel.For(0, batch, row =>
        {
            bool support = row % ep.PerClass < ep.Shots;
            for (int i = 0; i < p; i++)
                proj[row * p + i] = TensorPrimitives.Dot(e.AsSpan(row * d, d), w.AsSpan(i * d, d)) + (support ? o[i] : 0f);
        });
        int SupportRow(int s) => s / ep.Shots * ep.PerClass + s % ep.Shots;
        int QueryRow(int q) => q / ep.Queries * ep.PerClass + ep.Shots + q % ep.Queries;

        // Per query: logits, softmax over supports, loss, correctness, and dL/dlogit into g (queries × supports).
        var g = new float[queries * supports];
        var lossOf = new double[queries];
        var correct = new bool[queries];
        var dProj = new float[batch * p];
        float k = st.Sharpness, logitScale = st.Scale / p;
        Parallel.For(0, queries, () => new float[p], (q, _, scratch) =>
        {
            var a = proj.AsSpan(QueryRow(q) * p, p);
            var logits = new double[supports];
            double max = double.NegativeInfinity;
            for (int s = 0; s < supports; s++)
            {
                TensorPrimitives.Multiply(a, proj.AsSpan(SupportRow(s) * p, p), scratch);
                TensorPrimitives.Multiply(scratch, k, scratch);
                TensorPrimitives.Sigmoid(scratch, scratch);
                logits[s] = st.Scale * (double)TensorPrimitives.Sum<float>(scratch) / p;
                max = Math.Max(max, logits[s]);
            }
            int y = q / ep.Queries;
            double all = 0;
            var mass = new double[ep.Ways];
            for (int s = 0; s < supports; s++)
            {
                double x = Math.Exp(logits[s] - max);
                all += x;
                mass[s / ep.Shots] += x;
            }
            int best = 0;
            for (int c = 1; c < ep.Ways; c++) if (mass[c] > mass[best]) best = c;
            correct[q] = best == y;
            lossOf[q] = -Math.Log(mass[y] / all);
            for (int s = 0; s < supports; s++)
            {
                double ps = Math.Exp(logits[s] - max) / all;
                double own = s / ep.Shots == y ? Math.Exp(logits[s] - max) / mass[y] : 0;
                g[q * supports + s] = (float)((ps - own) / queries);
            }
            // dL/da_q = Σ_s g·(scale/P)·k·σ'(k·a·b)·b
            var da = dProj.AsSpan(QueryRow(q) * p, p);
            for (int s = 0; s < supports; s++)
            {
                var b = proj.AsSpan(SupportRow(s) * p, p);
                float coeff = g[q * supports + s] * logitScale * k;
                for (int i = 0; i < p; i++)
                {
                    float t = Sigmoid(k * a[i] * b[i]);
                    da[i] += coeff * t * (1f - t) * b[i];
                }
            }
            return scratch;
        }, _ => { });

        // Per support: dL/db_s = Σ_q g·(scale/P)·k·σ'·a_q.
        Parallel.For(0, supports, s =>
        {
            var b = proj.AsSpan(SupportRow(s) * p, p);
            var db = dProj.AsSpan(SupportRow(s) * p, p);
            for (int q = 0; q < queries; q++)
            {
                var a = proj.AsSpan(QueryRow(q) * p, p);
                float coeff = g[q * supports + s] * logitScale * k;
                for (int i = 0; i < p; i++)
                {
                    float t = Sigmoid(k * a[i] * b[i]);
                    db[i] += coeff * t * (1f - t) * a[i];
                }
            }
        });

        // Back through the projections: dE[b] = Σᵢ dProj[b,i]·wᵢ; dW[i] += Σ_b dProj[b,i]·e_b; dO[i] += Σ_supports dProj[s,i].
        var de = ops.SpanOf(dEmbeddings);
        de.Clear();
        for (int row = 0; row < batch; row++)
        {
            var target = de.Slice(row * d, d);
            for (int i = 0; i < p; i++) TensorPrimitives.MultiplyAdd(w.AsSpan(i * d, d), dProj[row * p + i], target, target);
        }
        if (dWeight is not null && dOffsets is not null)
        {
            var dw = ops.SpanOf(dWeight);
            var dOff = ops.SpanOf(dOffsets);
            for (int i = 0; i < p; i++)
            {
                var target = dw.Slice(i * d, d);
                float offsetSum = 0f;
                for (int row = 0; row < batch; row++)
                {
                    TensorPrimitives.MultiplyAdd(e.AsSpan(row * d, d), dProj[row * p + i], target, target);
                    if (row % ep.PerClass < ep.Shots) offsetSum += dProj[row * p + i];
                }
                dOff[i] += offsetSum;
            }
        }
        return ((float)(lossOf.Sum() / queries), (float)correct.Count(c => c) / queries);
    }

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));
}
