using System.Numerics.Tensors;

namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// The CPU form of <see cref="IHashLayerOp"/> (GPU form: <see cref="Gpu.IlgpuHashLayer"/>). The layer is tiny next
/// to the convolutions (B·P·D multiply-adds, ~2.5 M for a 600-image episode at 64 bits), so it runs on the calling
/// thread with vectorised dot products, and every sum has one fixed order: bit-identical run to run.
/// </summary>
internal sealed class CpuHashLayer(CpuNnOps ops) : IHashLayerOp
{
    private float[] _dz = [];
    private float[] _column = [];
    // The normalised form's projections z (B×P) and per-plane RMS s (P) of the last forward, for its backward.
    private float[] _z = [];
    private float[] _rms = [];
    // The decorrelation term's P×P second moments (diagonal 0) and the codes' columns (P×B), of the last call.
    private float[] _moments = [];
    private float[] _columns = [];

    public void Forward(NnBuffer embeddings, NnBuffer weight, NnBuffer bias, NnBuffer codes, in HashLayerShape shape, float beta,
        bool normalise = false)
    {
        var e = ops.SpanOf(embeddings);
        var w = ops.SpanOf(weight);
        var b = ops.SpanOf(bias);
        var h = ops.SpanOf(codes);
        int d = shape.Dim, p = shape.Planes;
        if (!normalise)
        {
            for (int row = 0; row < shape.Batch; row++)
            {
                var x = e.Slice(row * d, d);
                for (int i = 0; i < p; i++)
                    h[row * p + i] = MathF.Tanh(beta * (TensorPrimitives.Dot(x, w.Slice(i * d, d)) + b[i]));
            }
            return;
        }

        if (_z.Length < shape.Codes) _z = new float[shape.Codes];
        if (_rms.Length < p) _rms = new float[p];
        var z = _z.AsSpan(0, shape.Codes);
        for (int row = 0; row < shape.Batch; row++)
        {
            var x = e.Slice(row * d, d);
            for (int i = 0; i < p; i++) z[row * p + i] = TensorPrimitives.Dot(x, w.Slice(i * d, d)) + b[i];
        }
        for (int i = 0; i < p; i++)
        {
            // Per plane in batch order, as the GPU's kernel (one thread per plane).
            float squares = 0f;
            for (int row = 0; row < shape.Batch; row++) squares += z[row * p + i] * z[row * p + i];
            float rms = MathF.Sqrt(squares / shape.Batch + IHashLayerOp.NormaliseEpsilon);
            _rms[i] = rms;
            for (int row = 0; row < shape.Batch; row++) h[row * p + i] = MathF.Tanh(beta * (z[row * p + i] / rms));
        }
    }

    public HashPenalties AddPenaltyGradients(NnBuffer codes, NnBuffer dCodes, in HashLayerShape shape, float quantisationWeight,
        float balanceWeight, float codeWeight = 1f)
    {
        var h = ops.SpanOf(codes);
        var g = ops.SpanOf(dCodes);
        int batch = shape.Batch, p = shape.Planes;
        float scale = 2f / ((float)batch * p);
        double quantisation = 0, balance = 0;
        for (int i = 0; i < p; i++)
        {
            // Per plane, the same two sums in the same order as the GPU's kernel (one thread per plane).
            float sum = 0f, squares = 0f;
            for (int row = 0; row < batch; row++)
            {
                float v = h[row * p + i];
                float gap = MathF.Abs(v) - 1f;
                sum += v;
                squares += gap * gap;
            }
            float mean = sum / batch;
            quantisation += squares;
            balance += (double)mean * mean;
            float balanceGradient = balanceWeight * scale * mean;
            for (int row = 0; row < batch; row++)
            {
                float v = h[row * p + i];
                g[row * p + i] = codeWeight * g[row * p + i] + (quantisationWeight * scale * (v - (v >= 0f ? 1f : -1f)) + balanceGradient);
            }
        }
        return new HashPenalties((float)(quantisation / ((double)batch * p)), (float)(balance / p));
    }

    public float AddDecorrelationGradient(NnBuffer codes, NnBuffer dCodes, in HashLayerShape shape, float weight)
    {
        var h = ops.SpanOf(codes);
        var g = ops.SpanOf(dCodes);
        int batch = shape.Batch, p = shape.Planes;
        if (p < 2) return 0f;
        if (_moments.Length < p * p) _moments = new float[p * p];
        if (_columns.Length < shape.Codes) _columns = new float[shape.Codes];
        var c = _moments.AsSpan(0, p * p);
        var columns = _columns.AsSpan(0, shape.Codes);
        for (int row = 0; row < batch; row++)
            for (int i = 0; i < p; i++) columns[i * batch + row] = h[row * p + i];

        // C[i,j] = Σ_b h[b,i]·h[b,j] / B in batch order (as the GPU's kernel, one thread per pair), mirrored.
        double value = 0;
        for (int i = 0; i < p; i++)
        {
            c[i * p + i] = 0f;
            var a = columns.Slice(i * batch, batch);
            for (int j = i + 1; j < p; j++)
            {
                var b = columns.Slice(j * batch, batch);
                float sum = 0f;
                for (int row = 0; row < batch; row++) sum += a[row] * b[row];
                float moment = sum / batch;
                c[i * p + j] = c[j * p + i] = moment;
            }
        }
        for (int i = 0; i < p * p; i++) value += (double)c[i] * c[i];

        // g[b,k] += w·4/(B·P(P − 1))·Σ_j C[k,j]·h[b,j], in plane order (C[k,k] = 0).
        float scale = weight * 4f / ((float)batch * p * (p - 1));
        for (int row = 0; row < batch; row++)
        {
            var codesOfRow = h.Slice(row * p, p);
            for (int k = 0; k < p; k++)
            {
                var momentsOfK = c.Slice(k * p, p);
                float sum = 0f;
                for (int j = 0; j < p; j++) sum += momentsOfK[j] * codesOfRow[j];
                g[row * p + k] += scale * sum;
            }
        }
        return (float)(value / ((double)p * (p - 1)));
    }

    public void Backward(NnBuffer embeddings, NnBuffer weight, NnBuffer codes, NnBuffer dCodes, NnBuffer dEmbeddings, NnBuffer dWeight,
        NnBuffer dBias, in HashLayerShape shape, float beta, bool normalise = false)
    {
        var e = ops.SpanOf(embeddings);
        var w = ops.SpanOf(weight);
        var h = ops.SpanOf(codes);
        var g = ops.SpanOf(dCodes);
        var de = ops.SpanOf(dEmbeddings);
        var dw = ops.SpanOf(dWeight);
        var db = ops.SpanOf(dBias);
        int batch = shape.Batch, d = shape.Dim, p = shape.Planes;
        if (_dz.Length < shape.Codes) _dz = new float[shape.Codes];
        if (_column.Length < batch) _column = new float[batch];
        var dz = _dz.AsSpan(0, shape.Codes);
        for (int k = 0; k < dz.Length; k++) dz[k] = g[k] * beta * (1f - h[k] * h[k]);
        if (normalise) NormalisationGradient(dz, shape);

        // dEmbeddings[b] += Σᵢ dz[b,i]·weight[i]: rows of the weight scaled and added, in plane order.
        for (int row = 0; row < batch; row++)
        {
            var target = de.Slice(row * d, d);
            for (int i = 0; i < p; i++) TensorPrimitives.MultiplyAdd(w.Slice(i * d, d), dz[row * p + i], target, target);
        }

        // dWeight[i] += Σ_b dz[b,i]·embeddings[b], in batch order; dBias[i] += Σ_b dz[b,i].
        var column = _column.AsSpan(0, batch);
        for (int i = 0; i < p; i++)
        {
            float biasSum = 0f;
            for (int row = 0; row < batch; row++)
            {
                column[row] = dz[row * p + i];
                biasSum += column[row];
            }
            db[i] += biasSum;
            var target = dw.Slice(i * d, d);
            for (int row = 0; row < batch; row++) TensorPrimitives.MultiplyAdd(e.Slice(row * d, d), column[row], target, target);
        }
    }

    public void SignRows(NnBuffer codes, NnBuffer signed, in HashLayerShape shape, int rowsPerBlock, int firstSignedRow)
    {
        var h = ops.SpanOf(codes);
        var s = ops.SpanOf(signed);
        int p = shape.Planes;
        for (int row = 0; row < shape.Batch; row++)
        {
            var source = h.Slice(row * p, p);
            var target = s.Slice(row * p, p);
            if (row % rowsPerBlock < firstSignedRow) source.CopyTo(target);
            else for (int i = 0; i < p; i++) target[i] = source[i] >= 0f ? 1f : -1f;
        }
    }

    /// <summary>dz ← (dz − u·mean_b(dz·u))/s per plane, u = z/s of the last normalised forward: dL/du → dL/dz.</summary>
    private void NormalisationGradient(Span<float> dz, in HashLayerShape shape)
    {
        if (_rms.Length < shape.Planes || _z.Length < shape.Codes)
            throw new InvalidOperationException("hash layer: a normalised backward without a normalised forward");
        int p = shape.Planes;
        var z = _z.AsSpan(0, shape.Codes);
        for (int i = 0; i < p; i++)
        {
            float rms = _rms[i], dot = 0f;
            for (int row = 0; row < shape.Batch; row++) dot += dz[row * p + i] * (z[row * p + i] / rms);
            float mean = dot / shape.Batch;
            for (int row = 0; row < shape.Batch; row++) dz[row * p + i] = (dz[row * p + i] - z[row * p + i] / rms * mean) / rms;
        }
    }
}
