using ILGPU;
using Lshk.Kernels.Gpu;

namespace Lshk.Kernels.Nn.Gpu;

/// <summary>
/// Arguments of the hash layer's kernels (<see cref="IHashLayerOp"/>): E embeddings B×D, W weight P×D, Bias P, H codes
/// B×P, G dL/dcodes B×P, Dz scratch B×P, DE/DW/DBias the gradients, Stats 2P per-plane sums (mean, squared gaps);
/// the normalised form's Z projections B×P and Norm 2P per plane (RMS s, then mean_b(dL/du·u)).
/// </summary>
internal readonly record struct HashLayerArgs(int Batch, int Dim, int Planes, float Beta, float QuantisationWeight, float BalanceWeight,
    float CodeWeight, ArrayView<float> E, ArrayView<float> W, ArrayView<float> Bias, ArrayView<float> H, ArrayView<float> G, ArrayView<float> Dz,
    ArrayView<float> DE, ArrayView<float> DW, ArrayView<float> DBias, ArrayView<float> Stats, ArrayView<float> Z, ArrayView<float> Norm);

/// <summary>Arguments of <see cref="HashLayerKernels.SignRows"/>: H codes B×P, Signed its straight-through view.</summary>
internal readonly record struct HashSignArgs(int Batch, int Planes, int RowsPerBlock, int FirstSignedRow, ArrayView<float> H,
    ArrayView<float> Signed);

/// <summary>
/// Arguments of the decorrelation kernels: H codes B×P, G dL/dcodes B×P, Moments P×P (C = HᵀH/B, diagonal 0), Scale
/// the gradient's factor w·4/(B·P(P − 1)).
/// </summary>
internal readonly record struct HashDecorrelationArgs(int Batch, int Planes, float Scale, ArrayView<float> H, ArrayView<float> G,
    ArrayView<float> Moments);

/// <summary>
/// The GPU form's kernels, one thread per output value, every sum in the CPU form's order
/// (<see cref="Cpu.CpuHashLayer"/>), so both backends agree to rounding of tanh.
/// </summary>
internal static class HashLayerKernels
{
    private const float Log2E = 1.442695041f;

    /// <summary>tanh through exp2 (the device's fast exponential): 1 − 2/(e^{2x} + 1), exact ±1 in the tails.</summary>
    private static float Tanh(float x) => 1f - 2f / (IntrinsicMath.CPUOnly.Exp2(2f * x * Log2E) + 1f);

    /// <summary>H[b,i] = tanh(β·(E[b]·W[i] + Bias[i])).</summary>
    [GpuKernel]
    public static void Forward(HashLayerArgs a)
    {
        int total = a.Batch * a.Planes;
        for (int t = Threads.Global; t < total; t += Threads.Total) a.H[t] = Tanh(a.Beta * Projection(a, t));
    }

    /// <summary>z of code t = (row, plane): E[row]·W[plane] + Bias[plane], the dot product in the CPU form's order.</summary>
    private static float Projection(in HashLayerArgs a, int t)
    {
        int row = t / a.Planes, i = t % a.Planes;
        float z = 0f;
        for (int j = 0; j < a.Dim; j++) z += a.E[(long)row * a.Dim + j] * a.W[(long)i * a.Dim + j];
        return z + a.Bias[i];
    }

    /// <summary>The normalised form, step 1: Z[b,i] = E[b]·W[i] + Bias[i].</summary>
    [GpuKernel]
    public static void Projections(HashLayerArgs a)
    {
        int total = a.Batch * a.Planes;
        for (int t = Threads.Global; t < total; t += Threads.Total) a.Z[t] = Projection(a, t);
    }

    /// <summary>Step 2, one thread per plane: Norm[i] = √(mean_b Z[b,i]² + ε), summed in batch order as the CPU form.</summary>
    [GpuKernel]
    public static void ProjectionRms(HashLayerArgs a)
    {
        for (int i = Threads.Global; i < a.Planes; i += Threads.Total)
        {
            float squares = 0f;
            for (int row = 0; row < a.Batch; row++) squares += a.Z[(long)row * a.Planes + i] * a.Z[(long)row * a.Planes + i];
            a.Norm[i] = MathF.Sqrt(squares / a.Batch + IHashLayerOp.NormaliseEpsilon);
        }
    }

    /// <summary>Step 3: H[b,i] = tanh(β·Z[b,i]/Norm[i]).</summary>
    [GpuKernel]
    public static void NormalisedCodes(HashLayerArgs a)
    {
        int total = a.Batch * a.Planes;
        for (int t = Threads.Global; t < total; t += Threads.Total) a.H[t] = Tanh(a.Beta * (a.Z[t] / a.Norm[t % a.Planes]));
    }

    /// <summary>Backward of the normalised form, one thread per plane: Norm[P+i] = mean_b Dz[b,i]·u[b,i], u = Z/Norm.</summary>
    [GpuKernel]
    public static void NormalisationStats(HashLayerArgs a)
    {
        for (int i = Threads.Global; i < a.Planes; i += Threads.Total)
        {
            float rms = a.Norm[i], dot = 0f;
            for (int row = 0; row < a.Batch; row++) dot += a.Dz[(long)row * a.Planes + i] * (a.Z[(long)row * a.Planes + i] / rms);
            a.Norm[a.Planes + i] = dot / a.Batch;
        }
    }

    /// <summary>Dz[b,i] ← (Dz[b,i] − u[b,i]·Norm[P+i]) / Norm[i]: dL/du → dL/dz.</summary>
    [GpuKernel]
    public static void NormalisationGradient(HashLayerArgs a)
    {
        int total = a.Batch * a.Planes;
        for (int t = Threads.Global; t < total; t += Threads.Total)
        {
            int i = t % a.Planes;
            float rms = a.Norm[i];
            a.Dz[t] = (a.Dz[t] - a.Z[t] / rms * a.Norm[a.Planes + i]) / rms;
        }
    }

    /// <summary>Per plane i: Stats[i] = mean over the batch of H[·,i], Stats[P+i] = Σ_b (|H[b,i]| − 1)².</summary>
    [GpuKernel]
    public static void PenaltyStats(HashLayerArgs a)
    {
        for (int i = Threads.Global; i < a.Planes; i += Threads.Total)
        {
            float sum = 0f, squares = 0f;
            for (int row = 0; row < a.Batch; row++)
            {
                float v = a.H[(long)row * a.Planes + i];
                float gap = (v < 0f ? -v : v) - 1f;
                sum += v;
                squares += gap * gap;
            }
            a.Stats[i] = sum / a.Batch;
            a.Stats[a.Planes + i] = squares;
        }
    }

    /// <summary>G[b,i] ← w·G[b,i] + (λq·2(h − sign h)/(BP) + λb·2·mean_i/(BP)), w the code loss's weight.</summary>
    [GpuKernel]
    public static void PenaltyGradient(HashLayerArgs a)
    {
        int total = a.Batch * a.Planes;
        float scale = 2f / ((float)a.Batch * a.Planes);
        for (int t = Threads.Global; t < total; t += Threads.Total)
        {
            int i = t % a.Planes;
            float v = a.H[t];
            a.G[t] = a.CodeWeight * a.G[t] + (a.QuantisationWeight * scale * (v - (v >= 0f ? 1f : -1f)) + a.BalanceWeight * scale * a.Stats[i]);
        }
    }

    /// <summary>One thread per pair: Moments[i,j] = Σ_b H[b,i]·H[b,j] / B in batch order (as the CPU form), 0 on the diagonal.</summary>
    [GpuKernel]
    public static void DecorrelationMoments(HashDecorrelationArgs a)
    {
        int total = a.Planes * a.Planes;
        for (int t = Threads.Global; t < total; t += Threads.Total)
        {
            int i = t / a.Planes, j = t % a.Planes;
            float sum = 0f;
            if (i != j)
                for (int row = 0; row < a.Batch; row++) sum += a.H[(long)row * a.Planes + i] * a.H[(long)row * a.Planes + j];
            a.Moments[t] = i == j ? 0f : sum / a.Batch;
        }
    }

    /// <summary>G[b,k] += Scale·Σ_j Moments[k,j]·H[b,j], in plane order.</summary>
    [GpuKernel]
    public static void DecorrelationGradient(HashDecorrelationArgs a)
    {
        int total = a.Batch * a.Planes;
        for (int t = Threads.Global; t < total; t += Threads.Total)
        {
            int row = t / a.Planes, k = t % a.Planes;
            float sum = 0f;
            for (int j = 0; j < a.Planes; j++) sum += a.Moments[(long)k * a.Planes + j] * a.H[(long)row * a.Planes + j];
            a.G[t] += a.Scale * sum;
        }
    }

    /// <summary>Signed[b,i] = sign(H[b,i]) (±1, sign(0) = +1) in rows b with b mod RowsPerBlock ≥ FirstSignedRow, else H[b,i].</summary>
    [GpuKernel]
    public static void SignRows(HashSignArgs a)
    {
        int total = a.Batch * a.Planes;
        for (int t = Threads.Global; t < total; t += Threads.Total)
        {
            float v = a.H[t];
            a.Signed[t] = (t / a.Planes) % a.RowsPerBlock < a.FirstSignedRow ? v : v >= 0f ? 1f : -1f;
        }
    }

    /// <summary>Dz = G·β·(1 − H²).</summary>
    [GpuKernel]
    public static void PreActivationGradient(HashLayerArgs a)
    {
        int total = a.Batch * a.Planes;
        for (int t = Threads.Global; t < total; t += Threads.Total) a.Dz[t] = a.G[t] * a.Beta * (1f - a.H[t] * a.H[t]);
    }

    /// <summary>DE[b,j] += Σᵢ Dz[b,i]·W[i,j], in plane order.</summary>
    [GpuKernel]
    public static void InputGradient(HashLayerArgs a)
    {
        int total = a.Batch * a.Dim;
        for (int t = Threads.Global; t < total; t += Threads.Total)
        {
            int row = t / a.Dim, j = t % a.Dim;
            float sum = a.DE[t];
            for (int i = 0; i < a.Planes; i++) sum += a.W[(long)i * a.Dim + j] * a.Dz[(long)row * a.Planes + i];
            a.DE[t] = sum;
        }
    }

    /// <summary>DW[i,j] += Σ_b Dz[b,i]·E[b,j] and (one thread per plane) DBias[i] += Σ_b Dz[b,i], in batch order.</summary>
    [GpuKernel]
    public static void ParameterGradients(HashLayerArgs a)
    {
        int total = a.Planes * a.Dim;
        for (int t = Threads.Global; t < total; t += Threads.Total)
        {
            int i = t / a.Dim, j = t % a.Dim;
            float sum = a.DW[t];
            for (int row = 0; row < a.Batch; row++) sum += a.E[(long)row * a.Dim + j] * a.Dz[(long)row * a.Planes + i];
            a.DW[t] = sum;
            if (j == 0)
            {
                float biasSum = 0f;
                for (int row = 0; row < a.Batch; row++) biasSum += a.Dz[(long)row * a.Planes + i];
                a.DBias[i] += biasSum;
            }
        }
    }
}

/// <summary>The GPU form of <see cref="IHashLayerOp"/> (CPU form: <see cref="Cpu.CpuHashLayer"/>).</summary>
internal sealed class IlgpuHashLayer(IlgpuNnOps ops) : IHashLayerOp, IDisposable
{
    private NnBuffer? _dz, _stats, _z, _norm, _moments;

    public void Forward(NnBuffer embeddings, NnBuffer weight, NnBuffer bias, NnBuffer codes, in HashLayerShape shape, float beta,
        bool normalise = false)
    {
        var scratch = Scratch(shape);
        var args = Args(shape, beta, 0f, 0f, embeddings, weight, bias, codes, codes, scratch.Dz, codes, codes, codes, scratch.Stats);
        if (!normalise)
        {
            ops.Run(HashLayerKernels.Forward, shape.Codes, args);
            return;
        }
        ops.Run(HashLayerKernels.Projections, shape.Codes, args);
        ops.Run(HashLayerKernels.ProjectionRms, shape.Planes, args);
        ops.Run(HashLayerKernels.NormalisedCodes, shape.Codes, args);
    }

    public HashPenalties AddPenaltyGradients(NnBuffer codes, NnBuffer dCodes, in HashLayerShape shape, float quantisationWeight,
        float balanceWeight, float codeWeight = 1f)
    {
        var scratch = Scratch(shape);
        var args = Args(shape, 0f, quantisationWeight, balanceWeight, codes, codes, codes, codes, dCodes, scratch.Dz, codes, codes, codes, scratch.Stats, codeWeight);
        ops.Run(HashLayerKernels.PenaltyStats, shape.Planes, args);
        ops.Run(HashLayerKernels.PenaltyGradient, shape.Codes, args);
        // The values are summed on the host in double from the per-plane sums, in plane order as the CPU form.
        float[] stats = scratch.Stats.ToArray();
        double quantisation = 0, balance = 0;
        for (int i = 0; i < shape.Planes; i++)
        {
            quantisation += stats[shape.Planes + i];
            balance += (double)stats[i] * stats[i];
        }
        return new HashPenalties((float)(quantisation / ((double)shape.Batch * shape.Planes)), (float)(balance / shape.Planes));
    }

    public float AddDecorrelationGradient(NnBuffer codes, NnBuffer dCodes, in HashLayerShape shape, float weight)
    {
        int p = shape.Planes;
        if (p < 2) return 0f;
        var moments = ops.Reuse(ref _moments, p * p);
        var args = new HashDecorrelationArgs(shape.Batch, p, weight * 4f / ((float)shape.Batch * p * (p - 1)), ops.ViewOf(codes),
            ops.ViewOf(dCodes), ops.ViewOf(moments));
        ops.Run(HashLayerKernels.DecorrelationMoments, p * p, args);
        ops.Run(HashLayerKernels.DecorrelationGradient, shape.Codes, args);
        // The value is summed on the host in double, in the CPU form's order.
        float[] c = moments.ToArray();
        double value = 0;
        for (int i = 0; i < p * p; i++) value += (double)c[i] * c[i];
        return (float)(value / ((double)p * (p - 1)));
    }

    public void Backward(NnBuffer embeddings, NnBuffer weight, NnBuffer codes, NnBuffer dCodes, NnBuffer dEmbeddings, NnBuffer dWeight,
        NnBuffer dBias, in HashLayerShape shape, float beta, bool normalise = false)
    {
        var scratch = Scratch(shape);
        var args = Args(shape, beta, 0f, 0f, embeddings, weight, codes, codes, dCodes, scratch.Dz, dEmbeddings, dWeight, dBias, scratch.Stats);
        ops.Run(HashLayerKernels.PreActivationGradient, shape.Codes, args);
        if (normalise)
        {
            ops.Run(HashLayerKernels.NormalisationStats, shape.Planes, args);
            ops.Run(HashLayerKernels.NormalisationGradient, shape.Codes, args);
        }
        ops.Run(HashLayerKernels.InputGradient, shape.Inputs, args);
        ops.Run(HashLayerKernels.ParameterGradients, shape.Weights, args);
    }

    public void SignRows(NnBuffer codes, NnBuffer signed, in HashLayerShape shape, int rowsPerBlock, int firstSignedRow) =>
        ops.Run(HashLayerKernels.SignRows, shape.Codes,
            new HashSignArgs(shape.Batch, shape.Planes, rowsPerBlock, firstSignedRow, ops.ViewOf(codes), ops.ViewOf(signed)));

    private (NnBuffer Dz, NnBuffer Stats) Scratch(in HashLayerShape shape)
    {
        // Z and Norm are the normalised form's, kept from its forward for its backward (so not re-sized in between).
        ops.Reuse(ref _z, shape.Codes);
        ops.Reuse(ref _norm, 2 * shape.Planes);
        return (ops.Reuse(ref _dz, shape.Codes), ops.Reuse(ref _stats, 2 * shape.Planes));
    }

    private HashLayerArgs Args(in HashLayerShape s, float beta, float quantisationWeight, float balanceWeight, NnBuffer e, NnBuffer w,
        NnBuffer bias, NnBuffer h, NnBuffer g, NnBuffer dz, NnBuffer de, NnBuffer dw, NnBuffer dBias, NnBuffer stats, float codeWeight = 1f) =>
        new(s.Batch, s.Dim, s.Planes, beta, quantisationWeight, balanceWeight, codeWeight, ops.ViewOf(e), ops.ViewOf(w), ops.ViewOf(bias), ops.ViewOf(h),
            ops.ViewOf(g), ops.ViewOf(dz), ops.ViewOf(de), ops.ViewOf(dw), ops.ViewOf(dBias), ops.ViewOf(stats), ops.ViewOf(_z!), ops.ViewOf(_norm!));

    public void Dispose()
    {
        _dz?.Dispose();
        _stats?.Dispose();
        _z?.Dispose();
        _norm?.Dispose();
        _moments?.Dispose();
        _dz = _stats = _z = _norm = _moments = null;
    }
}
