using Lshk.Kernels.Nn;
using Lshk.Nn;

namespace Lshk.Tests.Nn.Reference;

/// <summary>
/// The embedding network composed from <see cref="NnReference"/> in float64 (training mode: batch statistics), with
/// its backward chained by hand. Parameters are in <see cref="Sequential.NamedParameters"/> order. Covers the 2018
/// study's switches too: no batch norm (conv → ReLU → pool) and one dropout on the flattened embedding; and a last
/// block without its pool (<see cref="ConvNetConfig.FinalPool"/> off), and the last map averaged over its positions
/// (<see cref="ConvNetConfig.GlobalAverage"/>).
/// </summary>
public sealed class ReferenceConvNet(ConvNetConfig config, ulong dropoutSeed)
{
    private const double Eps = 1e-5;

    private Conv2dShape ConvShape(int block, int batch, int size) =>
        new(batch, block == 0 ? config.InputChannels : config.Filters, size, size, config.Filters, config.Kernel, 1, config.Kernel / 2);

    /// <summary>Layers of block b before any dropout: conv, (batch norm,) ReLU, (pool).</summary>
    private int LayersIn(int block) => (config.BatchNorm ? 3 : 2) + (config.Pools(block) ? 1 : 0);

    private int BlockDropouts => config is { Dropout: > 0, DropoutAt: DropoutPlacement.Blocks } ? 1 : 0;

    /// <summary>
    /// The dropout mask of block b's first training forward (b = Blocks: the embedding's dropout, after Flatten), as the
    /// Dropout layer draws it from its index in the network.
    /// </summary>
    private DropoutMask Mask(int block)
    {
        int layerIndex = 0;
        for (int b = 0; b < block; b++) layerIndex += LayersIn(b) + BlockDropouts;
        layerIndex += block < config.Blocks ? LayersIn(block) : config.GlobalAverage ? 2 : 1; // the embedding's dropout follows (the average and) Flatten
        return new DropoutMask(1f - config.Dropout, dropoutSeed, ((ulong)layerIndex << 32) + 0);
    }

    private int ParametersPerBlock => (config.ConvBias ? 2 : 1) + (config.BatchNorm ? 2 : 0);

    public double[] Forward(double[][] p, double[] x, int batch) => Run(p, x, batch, null).Output;

    /// <summary>Returns the output and, when <paramref name="dOutput"/> is given, dL/dx and dL/dθ for every parameter.</summary>
    public (double[] Output, double[] Dx, double[][] Dp) Run(double[][] p, double[] x, int batch, double[]? dOutput)
    {
        int size = config.InputSize, per = ParametersPerBlock;
        var tape = new List<Action<Func<double[], double[]>>>();
        var dp = p.Select(t => new double[t.Length]).ToArray();
        var backward = new Stack<Func<double[], double[]>>();
        for (int b = 0; b < config.Blocks; b++)
        {
            var cs = ConvShape(b, batch, size);
            double[] w = p[b * per], bias = config.ConvBias ? p[b * per + 1] : new double[config.Filters];
            double[] gamma = config.BatchNorm ? p[b * per + per - 2] : [], beta = config.BatchNorm ? p[b * per + per - 1] : [];
            double[] input = x;
            double[] conv = NnReference.Conv2dForward(cs, input, w, bias);
            var bs = new Nchw(batch, config.Filters, cs.OutHeight, cs.OutWidth);
            double[] bn = config.BatchNorm ? NnReference.BatchNormTraining(bs, conv, gamma, beta, Eps).Y : conv;
            double[] relu = NnReference.Relu(bn);
            bool pools = config.Pools(b);
            double[] pooled = pools ? NnReference.MaxPool(bs, relu) : relu;
            int block = b;
            backward.Push(dPooled =>
            {
                double[] dRelu = pools ? NnReference.MaxPoolBackward(bs, relu, dPooled) : dPooled;
                double[] dBn = NnReference.ReluBackward(bn, dRelu);
                double[] dConv = dBn;
                if (config.BatchNorm)
                {
                    (dConv, var dGamma, var dBeta) = NnReference.BatchNormBackward(bs, conv, gamma, dBn, Eps);
                    Add(dp[block * per + per - 2], dGamma);
                    Add(dp[block * per + per - 1], dBeta);
                }
                var (dIn, dW, dBias) = NnReference.Conv2dBackward(cs, input, w, dConv);
                Add(dp[block * per], dW);
                if (config.ConvBias) Add(dp[block * per + 1], dBias);
                return dIn;
            });
            x = pooled;
            if (config is { Dropout: > 0, DropoutAt: DropoutPlacement.Blocks })
            {
                var mask = Mask(b);
                x = NnReference.Dropout(pooled, mask);
                backward.Push(d => NnReference.Dropout(d, mask));
            }
            if (pools) size /= 2;
        }
        if (config.GlobalAverage)
        {
            var map = new Nchw(batch, config.Filters, size, size);
            x = NnReference.AveragePool(map, x);
            backward.Push(d => NnReference.AveragePoolBackward(map, d));
        }
        if (config is { Dropout: > 0, DropoutAt: DropoutPlacement.Embedding })
        {
            var mask = Mask(config.Blocks);
            x = NnReference.Dropout(x, mask);
            backward.Push(d => NnReference.Dropout(d, mask));
        }
        if (dOutput is null) return (x, [], dp);
        double[] g = dOutput;
        while (backward.Count > 0) g = backward.Pop()(g);
        return (x, g, dp);
    }

    private static void Add(double[] target, double[] values)
    {
        for (int i = 0; i < target.Length; i++) target[i] += values[i];
    }
}
