using Lshk.Kernels.Nn;

namespace Lshk.Tests.Nn.Reference;

/// <summary>
/// Plain float64 loops for every neural-net operation, forward and backward, written for clarity only: the
/// independent expectation the float32 operations are tested against, itself checked by central differences.
/// </summary>
public static class NnReference
{
    // ------------------------------------------------------------------ convolution

    public static double[] Conv2dForward(Conv2dShape s, double[] x, double[] w, double[]? b)
    {
        int oh = s.OutHeight, ow = s.OutWidth, k = s.Kernel;
        var y = new double[s.OutputLength];
        for (int n = 0; n < s.Batch; n++)
            for (int co = 0; co < s.OutChannels; co++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double sum = b?[co] ?? 0.0;
                        for (int ci = 0; ci < s.InChannels; ci++)
                            for (int kh = 0; kh < k; kh++)
                                for (int kw = 0; kw < k; kw++)
                                {
                                    int ih = i * s.Stride - s.Padding + kh, iw = j * s.Stride - s.Padding + kw;
                                    if (ih < 0 || ih >= s.Height || iw < 0 || iw >= s.Width) continue;
                                    sum += w[((co * s.InChannels + ci) * k + kh) * k + kw]
                                           * x[((n * s.InChannels + ci) * s.Height + ih) * s.Width + iw];
                                }
                        y[((n * s.OutChannels + co) * oh + i) * ow + j] = sum;
                    }
        return y;
    }

    public static (double[] Dx, double[] Dw, double[] Db) Conv2dBackward(Conv2dShape s, double[] x, double[] w, double[] dy)
    {
        int oh = s.OutHeight, ow = s.OutWidth, k = s.Kernel;
        var dx = new double[x.Length];
        var dw = new double[w.Length];
        var db = new double[s.OutChannels];
        for (int n = 0; n < s.Batch; n++)
            for (int co = 0; co < s.OutChannels; co++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double g = dy[((n * s.OutChannels + co) * oh + i) * ow + j];
                        db[co] += g;
                        for (int ci = 0; ci < s.InChannels; ci++)
                            for (int kh = 0; kh < k; kh++)
                                for (int kw = 0; kw < k; kw++)
                                {
                                    int ih = i * s.Stride - s.Padding + kh, iw = j * s.Stride - s.Padding + kw;
                                    if (ih < 0 || ih >= s.Height || iw < 0 || iw >= s.Width) continue;
                                    int xi = ((n * s.InChannels + ci) * s.Height + ih) * s.Width + iw;
                                    int wi = ((co * s.InChannels + ci) * k + kh) * k + kw;
                                    dx[xi] += g * w[wi];
                                    dw[wi] += g * x[xi];
                                }
                    }
        return (dx, dw, db);
    }

    // ------------------------------------------------------------------ batch norm

    /// <summary>Training mode: batch mean and biased variance per channel; also returns them.</summary>
    public static (double[] Y, double[] Mean, double[] Var) BatchNormTraining(Nchw s, double[] x, double[] gamma, double[] beta,
        double eps)
    {
        var (mean, var) = ChannelMoments(s, x);
        var y = new double[x.Length];
        ForEach(s, (i, c) => y[i] = (x[i] - mean[c]) / Math.Sqrt(var[c] + eps) * gamma[c] + beta[c]);
        return (y, mean, var);
    }

    public static double[] BatchNormInference(Nchw s, double[] x, double[] gamma, double[] beta, double[] runMean,
        double[] runVar, double eps)
    {
        var y = new double[x.Length];
        ForEach(s, (i, c) => y[i] = (x[i] - runMean[c]) / Math.Sqrt(runVar[c] + eps) * gamma[c] + beta[c]);
        return y;
    }

    /// <summary>The textbook backward of the training-mode forward, through the batch mean and variance.</summary>
    public static (double[] Dx, double[] DGamma, double[] DBeta) BatchNormBackward(Nchw s, double[] x, double[] gamma,
        double[] dy, double eps)
    {
        var (mean, var) = ChannelMoments(s, x);
        double m = (double)s.Batch * s.Plane;
        var dGamma = new double[s.Channels];
        var dBeta = new double[s.Channels];
        var sumDxhat = new double[s.Channels];
        var sumDxhatXhat = new double[s.Channels];
        ForEach(s, (i, c) =>
        {
            double xhat = (x[i] - mean[c]) / Math.Sqrt(var[c] + eps);
            dGamma[c] += dy[i] * xhat;
            dBeta[c] += dy[i];
            sumDxhat[c] += dy[i] * gamma[c];
            sumDxhatXhat[c] += dy[i] * gamma[c] * xhat;
        });
        var dx = new double[x.Length];
        ForEach(s, (i, c) =>
        {
            double inv = 1 / Math.Sqrt(var[c] + eps);
            double xhat = (x[i] - mean[c]) * inv;
            dx[i] = inv / m * (m * dy[i] * gamma[c] - sumDxhat[c] - xhat * sumDxhatXhat[c]);
        });
        return (dx, dGamma, dBeta);
    }

    public static (double[] Mean, double[] Var) ChannelMoments(Nchw s, double[] x)
    {
        var mean = new double[s.Channels];
        var var = new double[s.Channels];
        double m = (double)s.Batch * s.Plane;
        ForEach(s, (i, c) => mean[c] += x[i] / m);
        ForEach(s, (i, c) => var[c] += (x[i] - mean[c]) * (x[i] - mean[c]) / m);
        return (mean, var);
    }

    private static void ForEach(Nchw s, Action<int, int> body)
    {
        for (int n = 0; n < s.Batch; n++)
            for (int c = 0; c < s.Channels; c++)
                for (int p = 0; p < s.Plane; p++)
                    body((n * s.Channels + c) * s.Plane + p, c);
    }

    // ------------------------------------------------------------------ activations, pooling, dropout

    public static double[] Relu(double[] x) => x.Select(v => v > 0 ? v : 0).ToArray();

    public static double[] ReluBackward(double[] x, double[] dy) => x.Select((v, i) => v > 0 ? dy[i] : 0).ToArray();

    public static double[] MaxPool(Nchw s, double[] x)
    {
        var p = s.Pooled;
        var y = new double[p.Length];
        for (int nc = 0; nc < s.Batch * s.Channels; nc++)
            for (int i = 0; i < p.Height; i++)
                for (int j = 0; j < p.Width; j++)
                    y[(nc * p.Height + i) * p.Width + j] = x[FirstMaxIndex(s, x, nc, i, j)];
        return y;
    }

    public static double[] MaxPoolBackward(Nchw s, double[] x, double[] dy)
    {
        var p = s.Pooled;
        var dx = new double[x.Length];
        for (int nc = 0; nc < s.Batch * s.Channels; nc++)
            for (int i = 0; i < p.Height; i++)
                for (int j = 0; j < p.Width; j++)
                    dx[FirstMaxIndex(s, x, nc, i, j)] += dy[(nc * p.Height + i) * p.Width + j];
        return dx;
    }

    /// <summary>y[n, c] = the mean of plane (n, c): global average pooling.</summary>
    public static double[] AveragePool(Nchw s, double[] x)
    {
        int size = s.Height * s.Width;
        var y = new double[s.Batch * s.Channels];
        for (int p = 0; p < y.Length; p++)
        {
            double sum = 0;
            for (int k = 0; k < size; k++) sum += x[p * size + k];
            y[p] = sum / size;
        }
        return y;
    }

    /// <summary>dx = dy[n, c] / (H·W) at every position of plane (n, c).</summary>
    public static double[] AveragePoolBackward(Nchw s, double[] dy)
    {
        int size = s.Height * s.Width;
        var dx = new double[s.Length];
        for (int i = 0; i < dx.Length; i++) dx[i] = dy[i / size] / size;
        return dx;
    }

    /// <summary>Index of the first maximum of window (i, j), scanning the window row by row (PyTorch's rule).</summary>
    public static int FirstMaxIndex(Nchw s, double[] x, int nc, int i, int j)
    {
        int best = -1;
        for (int di = 0; di < 2; di++)
            for (int dj = 0; dj < 2; dj++)
            {
                int index = (nc * s.Height + 2 * i + di) * s.Width + 2 * j + dj;
                if (best < 0 || x[index] > x[best]) best = index;
            }
        return best;
    }

    /// <summary>Inverted dropout with the mask rule of <see cref="DropoutMask"/>: the backward is the same map.</summary>
    public static double[] Dropout(double[] x, DropoutMask mask) =>
        x.Select((v, i) => mask.Keeps(i) ? v / mask.Keep : 0).ToArray();

    // ------------------------------------------------------------------ prototypical loss

    public static double PrototypicalLoss(double[] e, EpisodeShape ep) => PrototypicalLossAndGradient(e, ep).Loss;

    public static (double Loss, double[] Grad) PrototypicalLossAndGradient(double[] e, EpisodeShape ep)
    {
        int d = ep.Dim;
        var proto = new double[ep.Ways * d];
        for (int c = 0; c < ep.Ways; c++)
            for (int s = 0; s < ep.Shots; s++)
                for (int j = 0; j < d; j++)
                    proto[c * d + j] += e[(c * ep.PerClass + s) * d + j] / ep.Shots;
        int queries = ep.Ways * ep.Queries;
        double loss = 0;
        var grad = new double[e.Length];
        var dProto = new double[proto.Length];
        for (int y = 0; y < ep.Ways; y++)
            for (int q = 0; q < ep.Queries; q++)
            {
                int item = y * ep.PerClass + ep.Shots + q;
                var logits = new double[ep.Ways];
                for (int c = 0; c < ep.Ways; c++)
                    for (int j = 0; j < d; j++)
                        logits[c] -= Math.Pow(e[item * d + j] - proto[c * d + j], 2);
                double max = logits.Max();
                double logSum = max + Math.Log(logits.Sum(z => Math.Exp(z - max)));
                loss += (logSum - logits[y]) / queries;
                for (int c = 0; c < ep.Ways; c++)
                {
                    double g = (Math.Exp(logits[c] - logSum) - (c == y ? 1 : 0)) / queries;
                    for (int j = 0; j < d; j++)
                    {
                        double diff = e[item * d + j] - proto[c * d + j];
                        grad[item * d + j] += -2 * g * diff;
                        dProto[c * d + j] += 2 * g * diff;
                    }
                }
            }
        for (int c = 0; c < ep.Ways; c++)
            for (int s = 0; s < ep.Shots; s++)
                for (int j = 0; j < d; j++)
                    grad[(c * ep.PerClass + s) * d + j] += dProto[c * d + j] / ep.Shots;
        return (loss, grad);
    }

    /// <summary>The hash layer's relaxed codes tanh(β·(W·e + b)) for each of the rows of <paramref name="e"/> (P×D weights).</summary>
    public static double[] HashCodes(double[] e, double[] w, double[] b, int dim, double beta)
    {
        int n = e.Length / dim, planes = b.Length;
        var h = new double[n * planes];
        for (int r = 0; r < n; r++)
            for (int i = 0; i < planes; i++)
            {
                double z = b[i];
                for (int j = 0; j < dim; j++) z += e[r * dim + j] * w[i * dim + j];
                h[r * planes + i] = Math.Tanh(beta * z);
            }
        return h;
    }
}
