using Lshk.Kernels.Nn;
using Lshk.Tests.Gpu;
using Lshk.Tests.Nn.Reference;
using static Lshk.Tests.Nn.Reference.GradientCheck;

namespace Lshk.Tests.Nn;

/// <summary>
/// The study's LSH-in-the-loop loss (<see cref="ILshSigmoidLossOp"/>, <c>--loss lsh-sigmoid</c>): loss and accuracy
/// against a float64 reference, gradients (embeddings, planes, offsets) against central differences of it, and the
/// GPU kernels (ILGPU simulator) against the CPU form.
/// </summary>
[Trait(TestGpu.Trait, TestGpu.Kernels)]
[Collection(SimulatorCollection.Name)]
public class LshSigmoidLossTests(SimulatorFixture fx)
{
    private static readonly EpisodeShape Episode = new(Ways: 3, Shots: 2, Queries: 2, Dim: 4);
    private static readonly LshSigmoidSettings Settings = new(Planes: 5, Sharpness: 1.5f, Scale: 6f);

    private sealed record Case(double[] E, double[] W, double[] O);

    private static Case MakeCase(int seed) => new(TestData.Uniform(seed, Episode.Batch * Episode.Dim),
        TestData.Uniform(seed + 1, Settings.Planes * Episode.Dim), TestData.Uniform(seed + 2, Settings.Planes, 0.5));

    /// <summary>The loss and the predicted class of each query, in float64, straight from the definition.</summary>
    private static (double Loss, int[] Predicted) Reference(double[] e, double[] w, double[] o)
    {
        var ep = Episode;
        int p = Settings.Planes, d = ep.Dim;
        double Proj(int row, int i, bool support)
        {
            double z = support ? o[i] : 0;
            for (int j = 0; j < d; j++) z += e[row * d + j] * w[i * d + j];
            return z;
        }
        int queries = ep.Ways * ep.Queries, supports = ep.Ways * ep.Shots;
        double loss = 0;
        var predicted = new int[queries];
        for (int q = 0; q < queries; q++)
        {
            int qRow = q / ep.Queries * ep.PerClass + ep.Shots + q % ep.Queries, y = q / ep.Queries;
            var expLogits = new double[supports];
            for (int s = 0; s < supports; s++)
            {
                int sRow = s / ep.Shots * ep.PerClass + s % ep.Shots;
                double sim = 0;
                for (int i = 0; i < p; i++) sim += 1 / (1 + Math.Exp(-Settings.Sharpness * Proj(qRow, i, false) * Proj(sRow, i, true)));
                expLogits[s] = Math.Exp(Settings.Scale * sim / p);
            }
            var mass = Enumerable.Range(0, ep.Ways).Select(c => expLogits.Skip(c * ep.Shots).Take(ep.Shots).Sum()).ToArray();
            loss -= Math.Log(mass[y] / expLogits.Sum());
            predicted[q] = Array.IndexOf(mass, mass.Max());
        }
        return (loss / queries, predicted);
    }

    private static (float Loss, float Accuracy, float[] De, float[] Dw, float[] Do) Run(INnOps ops, Case c)
    {
        var op = NnOpRegistry.Create<ILshSigmoidLossOp>(ops);
        using var e = ops.Allocate(c.E.Length);
        using var w = ops.Allocate(c.W.Length);
        using var o = ops.Allocate(c.O.Length);
        using var de = ops.Allocate(c.E.Length);
        using var dw = ops.Allocate(c.W.Length);
        using var dOff = ops.Allocate(c.O.Length);
        e.CopyFrom(F(c.E));
        w.CopyFrom(F(c.W));
        o.CopyFrom(F(c.O));
        de.CopyFrom(Enumerable.Repeat(99f, c.E.Length).ToArray()); // overwritten, not accumulated
        var (loss, accuracy) = op.Compute(e, w, o, Episode, Settings, de, dw, dOff);
        (op as IDisposable)?.Dispose();
        return (loss, accuracy, de.ToArray(), dw.ToArray(), dOff.ToArray());
    }

    private static float[] F(double[] values) => values.Select(v => (float)v).ToArray();

    [Fact]
    public void LossAccuracyAndGradientsMatchTheFloat64Reference()
    {
        var c = MakeCase(41);
        var (loss, accuracy, de, dw, dOff) = Run(IlgpuNnOpsTests.Cpu(fx), c);
        var (expected, predicted) = Reference(c.E, c.W, c.O);
        Assert.Equal(expected, loss, 1e-5);
        double expectedAccuracy = predicted.Select((p, q) => p == q / Episode.Queries ? 1.0 : 0.0).Average();
        Assert.Equal(expectedAccuracy, accuracy, 1e-6);

        AssertClose(CentralDifferences(x => Reference(x, c.W, c.O).Loss, (double[])c.E.Clone()), de, 2e-5, "dL/dembeddings");
        AssertClose(CentralDifferences(x => Reference(c.E, x, c.O).Loss, (double[])c.W.Clone()), dw, 2e-5, "dL/dplanes");
        AssertClose(CentralDifferences(x => Reference(c.E, c.W, x).Loss, (double[])c.O.Clone()), dOff, 2e-5, "dL/doffsets");
        // Not vacuous: the gradients are far from zero.
        Assert.True(de.Max(Math.Abs) > 1e-3 && dw.Max(Math.Abs) > 1e-3 && dOff.Max(Math.Abs) > 1e-4);
    }

    [Fact]
    public void TheGpuKernelsAgreeWithTheCpuForm()
    {
        var c = MakeCase(51);
        var cpu = Run(IlgpuNnOpsTests.Cpu(fx), c);
        var gpu = Run(IlgpuNnOpsTests.Gpu(fx), c);
        Assert.Equal(cpu.Loss, gpu.Loss, 1e-5f);
        Assert.Equal(cpu.Accuracy, gpu.Accuracy);
        AssertClose(cpu.De.Select(v => (double)v).ToArray(), gpu.De, 1e-5, "dL/dembeddings");
        AssertClose(cpu.Dw.Select(v => (double)v).ToArray(), gpu.Dw, 1e-5, "dL/dplanes");
        AssertClose(cpu.Do.Select(v => (double)v).ToArray(), gpu.Do, 1e-5, "dL/doffsets");
    }
}
