using Lshk.Kernels.Nn;
using Lshk.Nn.Layers;
using Lshk.Tests.Gpu;
using Lshk.Tests.Nn.Reference;
using static Lshk.Tests.Nn.Reference.GradientCheck;

namespace Lshk.Tests.Nn;

/// <summary>
/// The trainable hash layer (<see cref="HashLayer"/>, op <see cref="IHashLayerOp"/>): forward and penalties against a
/// float64 reference, gradients against central differences of that reference, and the GPU kernels (ILGPU simulator)
/// against the CPU form.
/// </summary>
[Trait(TestGpu.Trait, TestGpu.Kernels)]
[Collection(SimulatorCollection.Name)]
public class HashLayerTests(SimulatorFixture fx)
{
    private const int Batch = 6, Dim = 5, Planes = 4;
    private const float Beta = 1.7f, QuantisationWeight = 0.3f, BalanceWeight = 0.7f;
    /// <summary>A bit-decorrelation weight for the cases that add the term (--hash-decorrelation).</summary>
    private const float DecorrelationWeight = 0.9f;

    /// <summary>Inputs of one check: embeddings, weights, bias, the upstream weights r of L = Σ r·h, and prior gradient contents.</summary>
    private sealed record Case(double[] E, double[] W, double[] B, double[] R, double[] PriorDe, double[] PriorDw, double[] PriorDb);

    private static Case MakeCase(int seed) => new(TestData.Uniform(seed, Batch * Dim), TestData.Uniform(seed + 1, Planes * Dim),
        TestData.Uniform(seed + 2, Planes), TestData.Uniform(seed + 3, Batch * Planes), TestData.Uniform(seed + 4, Batch * Dim),
        TestData.Uniform(seed + 5, Planes * Dim), TestData.Uniform(seed + 6, Planes));

    // ------------------------------------------------------------------ float64 reference

    /// <summary>The relaxed codes from their definition; <paramref name="normalise"/>: each plane's z divided by √(mean_b z² + ε) first.</summary>
    private static double[] ReferenceCodes(double[] e, double[] w, double[] b, bool normalise = false)
    {
        if (!normalise) return NnReference.HashCodes(e, w, b, Dim, Beta);
        var z = new double[Batch * Planes];
        for (int n = 0; n < Batch; n++)
            for (int i = 0; i < Planes; i++)
            {
                double v = b[i];
                for (int j = 0; j < Dim; j++) v += e[n * Dim + j] * w[i * Dim + j];
                z[n * Planes + i] = v;
            }
        var h = new double[z.Length];
        for (int i = 0; i < Planes; i++)
        {
            double squares = 0;
            for (int n = 0; n < Batch; n++) squares += z[n * Planes + i] * z[n * Planes + i];
            double rms = Math.Sqrt(squares / Batch + IHashLayerOp.NormaliseEpsilon);
            for (int n = 0; n < Batch; n++) h[n * Planes + i] = Math.Tanh(Beta * z[n * Planes + i] / rms);
        }
        return h;
    }

    private static (double Quantisation, double Balance) ReferencePenalties(double[] h)
    {
        double q = 0, balance = 0;
        foreach (double v in h) q += (Math.Abs(v) - 1) * (Math.Abs(v) - 1);
        for (int i = 0; i < Planes; i++)
        {
            double mean = 0;
            for (int n = 0; n < Batch; n++) mean += h[n * Planes + i];
            mean /= Batch;
            balance += mean * mean;
        }
        return (q / (Batch * Planes), balance / Planes);
    }

    /// <summary>D = mean over bit pairs i ≠ j of C[i,j]², C[i,j] = mean over the batch of h[·,i]·h[·,j], from its definition.</summary>
    private static double ReferenceDecorrelation(double[] h)
    {
        double sum = 0;
        for (int i = 0; i < Planes; i++)
            for (int j = 0; j < Planes; j++)
            {
                if (i == j) continue;
                double c = 0;
                for (int n = 0; n < Batch; n++) c += h[n * Planes + i] * h[n * Planes + j];
                c /= Batch;
                sum += c * c;
            }
        return sum / (Planes * (Planes - 1));
    }

    /// <summary>L = w·Σ r·h + λq·Q + λb·B + λd·D (w the code loss's weight), all in float64.</summary>
    private static double ReferenceLoss(double[] e, double[] w, double[] b, double[] r, bool normalise = false, double codeWeight = 1,
        double decorrelationWeight = 0)
    {
        var h = ReferenceCodes(e, w, b, normalise);
        var (q, balance) = ReferencePenalties(h);
        return codeWeight * Weighted(h, r) + QuantisationWeight * q + BalanceWeight * balance + decorrelationWeight * ReferenceDecorrelation(h);
    }

    // ------------------------------------------------------------------ the op under test

    private sealed record Result(float[] Codes, HashPenalties Penalties, float[] De, float[] Dw, float[] Db);

    /// <summary>Forward, penalties and backward through the layer on <paramref name="ops"/>, with L = w·Σ r·h + penalties.</summary>
    private static Result Run(INnOps ops, Case c, bool normalise = false, float codeWeight = 1f, float decorrelationWeight = 0f)
    {
        using var layer = new HashLayer(ops, Dim, Planes);
        layer.Weight.Value.CopyFrom(F(c.W));
        layer.Bias.Value.CopyFrom(F(c.B));
        layer.Weight.Grad.CopyFrom(F(c.PriorDw));
        layer.Bias.Grad.CopyFrom(F(c.PriorDb));
        using var e = ops.Allocate(Batch * Dim);
        using var dCodes = ops.Allocate(Batch * Planes);
        using var de = ops.Allocate(Batch * Dim);
        e.CopyFrom(F(c.E));
        dCodes.CopyFrom(F(c.R));
        de.CopyFrom(F(c.PriorDe));
        float[] codes = layer.Forward(e, Batch, Beta, normalise).ToArray();
        var penalties = layer.AddPenalties(dCodes, QuantisationWeight, BalanceWeight, codeWeight);
        if (decorrelationWeight > 0f) penalties = penalties with { Decorrelation = layer.AddDecorrelation(dCodes, decorrelationWeight) };
        layer.Backward(dCodes, de);
        return new Result(codes, penalties, de.ToArray(), layer.Weight.Grad.ToArray(), layer.Bias.Grad.ToArray());
    }

    private static float[] F(double[] values) => values.Select(v => (float)v).ToArray();

    private static double[] Minus(float[] accumulated, double[] prior) => accumulated.Select((v, i) => v - prior[i]).ToArray();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ForwardAndPenaltiesMatchTheFloat64Reference(bool normalise)
    {
        var c = MakeCase(11);
        var result = Run(IlgpuNnOpsTests.Cpu(fx), c, normalise, decorrelationWeight: DecorrelationWeight);
        var h = ReferenceCodes(c.E, c.W, c.B, normalise);
        AssertClose(h, result.Codes, 1e-6, "codes");
        var (q, balance) = ReferencePenalties(h);
        double decorrelation = ReferenceDecorrelation(h);
        Assert.Equal(q, result.Penalties.Quantisation, 1e-6);
        Assert.Equal(balance, result.Penalties.Balance, 1e-6);
        Assert.Equal(decorrelation, result.Penalties.Decorrelation, 1e-6);
        // Not trivially satisfied: the codes are far from ±1, balanced and uncorrelated in this case.
        Assert.True(q > 0.05 && balance > 1e-3 && decorrelation > 1e-3, $"q = {q}, balance = {balance}, decorrelation = {decorrelation}");
        // Without the term the layer leaves it at 0 and the gradient as it was.
        Assert.Equal(0f, Run(IlgpuNnOpsTests.Cpu(fx), c, normalise).Penalties.Decorrelation);
    }

    [Theory]
    [InlineData(false, 1f)]
    [InlineData(true, 1f)]
    [InlineData(false, 2.5f)] // --hash-code-weight: the code loss's gradient weighed, the penalties' not
    [InlineData(true, 0.4f)]
    [InlineData(false, 2.5f, DecorrelationWeight)] // --hash-decorrelation
    [InlineData(true, 1f, DecorrelationWeight)]
    public void GradientsMatchCentralDifferences(bool normalise, float codeWeight, float decorrelationWeight = 0f)
    {
        var c = MakeCase(21);
        var result = Run(IlgpuNnOpsTests.Cpu(fx), c, normalise, codeWeight, decorrelationWeight);
        // No code sits at 0, where |h| − 1 has its kink.
        Assert.All(ReferenceCodes(c.E, c.W, c.B, normalise), v => Assert.True(Math.Abs(v) > 1e-3));
        var numericE = CentralDifferences(e => ReferenceLoss(e, c.W, c.B, c.R, normalise, codeWeight, decorrelationWeight), (double[])c.E.Clone());
        var numericW = CentralDifferences(w => ReferenceLoss(c.E, w, c.B, c.R, normalise, codeWeight, decorrelationWeight), (double[])c.W.Clone());
        var numericB = CentralDifferences(b => ReferenceLoss(c.E, c.W, b, c.R, normalise, codeWeight, decorrelationWeight), (double[])c.B.Clone());
        // The op accumulates into gradients that already hold values: subtract them to get its own contribution.
        AssertClose(numericE, Minus(result.De, c.PriorDe), 2e-5, "dL/dembeddings");
        AssertClose(numericW, Minus(result.Dw, c.PriorDw), 2e-5, "dL/dweight");
        AssertClose(numericB, Minus(result.Db, c.PriorDb), 2e-5, "dL/dbias");
    }

    [Theory]
    [InlineData(false, 1f)]
    [InlineData(true, 1f)]
    [InlineData(false, 2.5f)]
    [InlineData(true, 2.5f, DecorrelationWeight)]
    public void TheGpuKernelsAgreeWithTheCpuForm(bool normalise, float codeWeight, float decorrelationWeight = 0f)
    {
        var c = MakeCase(31);
        var cpu = Run(IlgpuNnOpsTests.Cpu(fx), c, normalise, codeWeight, decorrelationWeight);
        var gpu = Run(IlgpuNnOpsTests.Gpu(fx), c, normalise, codeWeight, decorrelationWeight);
        AssertClose(cpu.Codes.Select(v => (double)v).ToArray(), gpu.Codes, 1e-5, "codes");
        Assert.Equal(cpu.Penalties.Quantisation, gpu.Penalties.Quantisation, 1e-5f);
        Assert.Equal(cpu.Penalties.Balance, gpu.Penalties.Balance, 1e-5f);
        Assert.Equal(cpu.Penalties.Decorrelation, gpu.Penalties.Decorrelation, 1e-5f);
        AssertClose(cpu.De.Select(v => (double)v).ToArray(), gpu.De, 1e-5, "dL/dembeddings");
        AssertClose(cpu.Dw.Select(v => (double)v).ToArray(), gpu.Dw, 1e-5, "dL/dweight");
        AssertClose(cpu.Db.Select(v => (double)v).ToArray(), gpu.Db, 1e-5, "dL/dbias");
    }

    [Fact]
    public void SignRowsSignsTheChosenRowsOfEachBlockOnBothBackends()
    {
        // Blocks of 3 rows (a class's supports, then its queries), rows 1 and 2 of each signed: ±1 with sign(0) = +1
        // (and −0 too), as the Hamming kernels hash a zero projection to bit 1; row 0 copied as it is.
        const int perBlock = 3, firstSigned = 1;
        var codes = TestData.Uniform(51, Batch * Planes).Select(v => (float)v).ToArray();
        codes[1 * Planes] = 0f;
        codes[2 * Planes + 1] = -0f;
        codes[0] = 0f;
        var expected = codes.Select((v, k) => k / Planes % perBlock >= firstSigned ? (v >= 0f ? 1f : -1f) : v).ToArray();
        Assert.Contains(expected, v => v is not (1f or -1f));
        foreach (var ops in new INnOps[] { IlgpuNnOpsTests.Cpu(fx), IlgpuNnOpsTests.Gpu(fx) })
        {
            var op = NnOpRegistry.Create<IHashLayerOp>(ops);
            using var h = ops.Allocate(codes.Length);
            using var signed = ops.Allocate(codes.Length);
            h.CopyFrom(codes);
            op.SignRows(h, signed, new HashLayerShape(Batch, Dim, Planes), perBlock, firstSigned);
            Assert.Equal(expected, signed.ToArray());
            (op as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public void NormalisingIsScaleFreeAndKeepsEachCodesSign()
    {
        // Planes and offsets scaled by 10 give the same normalised codes (the point of normalising), and each code
        // has the sign of its plain projection, so the stored planes hash as trained.
        var c = MakeCase(41);
        var scaled = c with { W = c.W.Select(v => 10 * v).ToArray(), B = c.B.Select(v => 10 * v).ToArray() };
        var ops = IlgpuNnOpsTests.Cpu(fx);
        var once = Run(ops, c, normalise: true);
        AssertClose(once.Codes.Select(v => (double)v).ToArray(), Run(ops, scaled, normalise: true).Codes, 1e-5, "codes of scaled planes");
        Assert.NotEqual(Run(ops, c).Codes, Run(ops, scaled).Codes);
        var plain = ReferenceCodes(c.E, c.W, c.B);
        for (int k = 0; k < plain.Length; k++) Assert.Equal(Math.Sign(plain[k]), Math.Sign(once.Codes[k]));
    }

    [Fact]
    public void InitialisationIsSeededAndStoredAsPlanes()
    {
        var ops = IlgpuNnOpsTests.Cpu(fx);
        using var a = new HashLayer(ops, Dim, Planes);
        using var b = new HashLayer(ops, Dim, Planes);
        using var other = new HashLayer(ops, Dim, Planes);
        a.Initialise(5);
        b.Initialise(5);
        other.Initialise(6);
        var planes = a.ToStoredPlanes();
        Assert.Equal(b.ToStoredPlanes().Weight, planes.Weight);
        Assert.NotEqual(other.ToStoredPlanes().Weight, planes.Weight);
        // nn.Linear's bound 1/√D, and offsets start at 0.
        Assert.All(planes.Weight, v => Assert.InRange(Math.Abs(v), 0, 1 / Math.Sqrt(Dim)));
        Assert.All(planes.Bias, v => Assert.Equal(0f, v));
        Assert.Equal((Planes, Dim), (planes.Count, planes.Dim));
    }
}
