using ILGPU;
using Lshk.Kernels.Gpu;

namespace Lshk.Kernels.Nn.Gpu;

/// <summary>
/// Arguments of the lsh-sigmoid loss kernels (<see cref="ILshSigmoidLossOp"/>): E embeddings B×D, W planes P×D,
/// O offsets P, Proj projections B×P, G logits then dL/dlogits (queries × supports), DProj dL/dprojections B×P,
/// PerQuery loss and correctness (2 × queries), DE, DW, DO the gradients (DW/DO written only when Trainable).
/// </summary>
internal readonly record struct LshSigmoidArgs(int Ways, int Shots, int Queries, int Dim, int Planes, float Sharpness, float Scale,
    int Trainable, ArrayView<float> E, ArrayView<float> W, ArrayView<float> O, ArrayView<float> Proj, ArrayView<float> G,
    ArrayView<float> DProj, ArrayView<float> PerQuery, ArrayView<float> DE, ArrayView<float> DW, ArrayView<float> DO)
{
    public int PerClass => Shots + Queries;
    public int Batch => Ways * PerClass;
    public int QueryCount => Ways * Queries;
    public int SupportCount => Ways * Shots;
    public int QueryRow(int q) => q / Queries * PerClass + Shots + q % Queries;
    public int SupportRow(int s) => s / Shots * PerClass + s % Shots;
    public bool IsSupport(int row) => row % PerClass < Shots;
}

/// <summary>The GPU form's kernels, one thread per output value, in the CPU form's summation orders.</summary>
internal static class LshSigmoidLossKernels
{
    private const float Log2E = 1.442695041f, Ln2 = 0.693147181f;

    private static float Sigmoid(float x) => 1f / (1f + IntrinsicMath.CPUOnly.Exp2(-x * Log2E));

    /// <summary>Proj[row,i] = E[row]·W[i] (+ O[i] for supports).</summary>
    [GpuKernel]
    public static void Project(LshSigmoidArgs a)
    {
        int total = a.Batch * a.Planes;
        for (int t = Threads.Global; t < total; t += Threads.Total)
        {
            int row = t / a.Planes, i = t % a.Planes;
            float z = 0f;
            for (int j = 0; j < a.Dim; j++) z += a.E[(long)row * a.Dim + j] * a.W[(long)i * a.Dim + j];
            a.Proj[t] = z + (a.IsSupport(row) ? a.O[i] : 0f);
        }
    }

    /// <summary>G[q,s] = scale·(1/P)·Σᵢ σ(k·a_qi·b_si).</summary>
    [GpuKernel]
    public static void Logits(LshSigmoidArgs a)
    {
        int supports = a.SupportCount, total = a.QueryCount * supports;
        for (int t = Threads.Global; t < total; t += Threads.Total)
        {
            int q = t / supports, s = t % supports;
            long qa = (long)a.QueryRow(q) * a.Planes, sb = (long)a.SupportRow(s) * a.Planes;
            float sum = 0f;
            for (int i = 0; i < a.Planes; i++) sum += Sigmoid(a.Sharpness * a.Proj[qa + i] * a.Proj[sb + i]);
            a.G[t] = a.Scale * sum / a.Planes;
        }
    }

    /// <summary>Per query: the softmax over supports, the loss and correctness into PerQuery, dL/dlogits over G's row.</summary>
    [GpuKernel]
    public static void Softmax(LshSigmoidArgs a)
    {
        int queries = a.QueryCount, supports = a.SupportCount;
        for (int q = Threads.Global; q < queries; q += Threads.Total)
        {
            long row = (long)q * supports;
            int y = q / a.Queries;
            float max = float.NegativeInfinity;
            for (int s = 0; s < supports; s++) max = a.G[row + s] > max ? a.G[row + s] : max;
            float all = 0f, own = 0f;
            for (int s = 0; s < supports; s++)
            {
                float x = IntrinsicMath.CPUOnly.Exp2((a.G[row + s] - max) * Log2E);
                all += x;
                if (s / a.Shots == y) own += x;
            }
            // The best class by summed probability, ties to the lower class.
            int best = 0;
            float bestMass = -1f;
            for (int c = 0; c < a.Ways; c++)
            {
                float mass = 0f;
                for (int s = c * a.Shots; s < (c + 1) * a.Shots; s++) mass += IntrinsicMath.CPUOnly.Exp2((a.G[row + s] - max) * Log2E);
                if (mass > bestMass)
                {
                    bestMass = mass;
                    best = c;
                }
            }
            a.PerQuery[q] = -IntrinsicMath.CPUOnly.Log2(own / all) * Ln2;
            a.PerQuery[queries + q] = best == y ? 1f : 0f;
            for (int s = 0; s < supports; s++)
            {
                float x = IntrinsicMath.CPUOnly.Exp2((a.G[row + s] - max) * Log2E);
                a.G[row + s] = (x / all - (s / a.Shots == y ? x / own : 0f)) / queries;
            }
        }
    }

    /// <summary>DProj[query row, i] = Σ_s G[q,s]·(scale/P)·k·σ'(k·a·b)·b_si.</summary>
    [GpuKernel]
    public static void QueryGradient(LshSigmoidArgs a)
    {
        int supports = a.SupportCount, total = a.QueryCount * a.Planes;
        for (int t = Threads.Global; t < total; t += Threads.Total)
        {
            int q = t / a.Planes, i = t % a.Planes;
            long qRow = (long)a.QueryRow(q) * a.Planes;
            float av = a.Proj[qRow + i], sum = 0f;
            for (int s = 0; s < supports; s++)
            {
                float b = a.Proj[(long)a.SupportRow(s) * a.Planes + i];
                float sig = Sigmoid(a.Sharpness * av * b);
                sum += a.G[(long)q * supports + s] * (a.Scale / a.Planes) * a.Sharpness * sig * (1f - sig) * b;
            }
            a.DProj[qRow + i] = sum;
        }
    }

    /// <summary>DProj[support row, i] = Σ_q G[q,s]·(scale/P)·k·σ'(k·a·b)·a_qi.</summary>
    [GpuKernel]
    public static void SupportGradient(LshSigmoidArgs a)
    {
        int supports = a.SupportCount, total = supports * a.Planes;
        for (int t = Threads.Global; t < total; t += Threads.Total)
        {
            int s = t / a.Planes, i = t % a.Planes;
            long sRow = (long)a.SupportRow(s) * a.Planes;
            float b = a.Proj[sRow + i], sum = 0f;
            for (int q = 0; q < a.QueryCount; q++)
            {
                float av = a.Proj[(long)a.QueryRow(q) * a.Planes + i];
                float sig = Sigmoid(a.Sharpness * av * b);
                sum += a.G[(long)q * supports + s] * (a.Scale / a.Planes) * a.Sharpness * sig * (1f - sig) * av;
            }
            a.DProj[sRow + i] = sum;
        }
    }

    /// <summary>DE[row,j] = Σᵢ DProj[row,i]·W[i,j].</summary>
    [GpuKernel]
    public static void InputGradient(LshSigmoidArgs a)
    {
        int total = a.Batch * a.Dim;
        for (int t = Threads.Global; t < total; t += Threads.Total)
        {
            int row = t / a.Dim, j = t % a.Dim;
            float sum = 0f;
            for (int i = 0; i < a.Planes; i++) sum += a.W[(long)i * a.Dim + j] * a.DProj[(long)row * a.Planes + i];
            a.DE[t] = sum;
        }
    }

    /// <summary>DW[i,j] += Σ_b DProj[b,i]·E[b,j]; DO[i] += Σ over support rows of DProj[·,i] (thread j = 0).</summary>
    [GpuKernel]
    public static void PlaneGradients(LshSigmoidArgs a)
    {
        int total = a.Planes * a.Dim;
        for (int t = Threads.Global; t < total; t += Threads.Total)
        {
            int i = t / a.Dim, j = t % a.Dim;
            float sum = a.DW[t], offsetSum = 0f;
            for (int row = 0; row < a.Batch; row++)
            {
                float dp = a.DProj[(long)row * a.Planes + i];
                sum += dp * a.E[(long)row * a.Dim + j];
                if (a.IsSupport(row)) offsetSum += dp;
            }
            a.DW[t] = sum;
            if (j == 0) a.DO[i] += offsetSum;
        }
    }
}

/// <summary>The GPU form of <see cref="ILshSigmoidLossOp"/> (CPU form: <see cref="Cpu.CpuLshSigmoidLoss"/>).</summary>
internal sealed class IlgpuLshSigmoidLoss(IlgpuNnOps ops) : ILshSigmoidLossOp, IDisposable
{
    private NnBuffer? _proj, _g, _dProj, _perQuery;

    public (float Loss, float Accuracy) Compute(NnBuffer embeddings, NnBuffer weight, NnBuffer offsets, in EpisodeShape episode,
        in LshSigmoidSettings settings, NnBuffer dEmbeddings, NnBuffer? dWeight, NnBuffer? dOffsets)
    {
        int queries = episode.Ways * episode.Queries, supports = episode.Ways * episode.Shots;
        var proj = ops.Reuse(ref _proj, episode.Batch * settings.Planes);
        var g = ops.Reuse(ref _g, queries * supports);
        var dProj = ops.Reuse(ref _dProj, episode.Batch * settings.Planes);
        var perQuery = ops.Reuse(ref _perQuery, 2 * queries);
        bool trainable = dWeight is not null && dOffsets is not null;
        var args = new LshSigmoidArgs(episode.Ways, episode.Shots, episode.Queries, episode.Dim, settings.Planes, settings.Sharpness, settings.Scale,
            trainable ? 1 : 0, ops.ViewOf(embeddings), ops.ViewOf(weight), ops.ViewOf(offsets), ops.ViewOf(proj), ops.ViewOf(g),
            ops.ViewOf(dProj), ops.ViewOf(perQuery), ops.ViewOf(dEmbeddings), ops.ViewOf(dWeight ?? weight), ops.ViewOf(dOffsets ?? offsets));
        ops.Run(LshSigmoidLossKernels.Project, episode.Batch * settings.Planes, args);
        ops.Run(LshSigmoidLossKernels.Logits, queries * supports, args);
        ops.Run(LshSigmoidLossKernels.Softmax, queries, args);
        ops.Run(LshSigmoidLossKernels.QueryGradient, queries * settings.Planes, args);
        ops.Run(LshSigmoidLossKernels.SupportGradient, supports * settings.Planes, args);
        ops.Run(LshSigmoidLossKernels.InputGradient, episode.Batch * episode.Dim, args);
        if (trainable) ops.Run(LshSigmoidLossKernels.PlaneGradients, settings.Planes * episode.Dim, args);
        float[] values = perQuery.ToArray();
        double loss = 0, correct = 0;
        for (int q = 0; q < queries; q++)
        {
            loss += values[q];
            correct += values[queries + q];
        }
        return ((float)(loss / queries), (float)(correct / queries));
    }

    public void Dispose()
    {
        _proj?.Dispose();
        _g?.Dispose();
        _dProj?.Dispose();
        _perQuery?.Dispose();
        _proj = _g = _dProj = _perQuery = null;
    }
}
