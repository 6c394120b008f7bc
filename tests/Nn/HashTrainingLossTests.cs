using Lshk.Kernels.Nn;
using Lshk.Nn;
using Lshk.Nn.Layers;
using Lshk.Tests.Nn.Reference;

namespace Lshk.Tests.Nn;

/// <summary>
/// The code loss of hash-aware training (<see cref="HashTrainingLoss"/>) against a float64 reference: the relaxed codes
/// tanh(β·(W·e + b)) computed from their definition, then the cosine loss of <see cref="CosineLossReference"/> on the
/// episode the settings say — the training episode itself, or its k-shot view (<c>--hash-code-shots</c>).
/// </summary>
public class HashTrainingLossTests(CpuOpsFixture fx) : IClassFixture<CpuOpsFixture>
{
    private const int Ways = 3, Shots = 3, Queries = 2, Dim = 6, Bits = 8;

    /// <summary>An episode's embeddings, the layer's weight and bias, from seeds <paramref name="seed"/> to seed + 2.</summary>
    private static (double[] E, double[] W, double[] B) RandomInputs(int seed) =>
        (TestData.Uniform(seed, Ways * (Shots + Queries) * Dim), TestData.Uniform(seed + 1, Bits * Dim), TestData.Uniform(seed + 2, Bits, 0.2));

    private float CodeLoss(HashTrainingSettings settings, double[] e, double[] w, double[] b)
    {
        var ops = fx.Ops;
        var layer = new HashLayer(ops, Dim, Bits);
        layer.Weight.Value.CopyFrom(w.ToFloat());
        layer.Bias.Value.CopyFrom(b.ToFloat());
        using var loss = new HashTrainingLoss(ops, new PrototypicalLoss(ops), layer, settings) { Episode = 0 };
        using var embeddings = ops.Upload(e);
        loss.Compute(embeddings, new EpisodeShape(Ways, Shots, Queries, Dim));
        layer.Dispose();
        return loss.LastParts.Code;
    }

    [Theory]
    [InlineData("cosine-mean", CosineLossMode.CosineMean)]
    [InlineData("matching", CosineLossMode.Matching)]
    public void TheCodeLossScoresTheEpisodeOrItsOneShotView(string name, CosineLossMode mode)
    {
        var (e, w, b) = RandomInputs(21);
        var codes = NnReference.HashCodes(e, w, b, Dim, beta: 1); // β = √(1 + 0 / N) at episode 0
        var whole = new EpisodeShape(Ways, Shots, Queries, Bits);
        // Class-major rows: the first support of each class stays a support, its other two join the queries.
        var oneShot = new EpisodeShape(Ways, 1, Queries + Shots - 1, Bits);

        double expectedWhole = CosineLossReference.Loss(codes, whole, mode, CosineLoss.DefaultScale);
        double expectedOneShot = CosineLossReference.Loss(codes, oneShot, mode, CosineLoss.DefaultScale);
        Assert.True(Math.Abs(expectedWhole - expectedOneShot) > 1e-3, "the two views should score differently");

        Assert.Equal(expectedWhole, CodeLoss(new HashTrainingSettings(Bits, name), e, w, b), 1e-5);
        Assert.Equal(expectedWhole, CodeLoss(new HashTrainingSettings(Bits, name, CodeShots: Shots), e, w, b), 1e-5);
        Assert.Equal(expectedOneShot, CodeLoss(new HashTrainingSettings(Bits, name, CodeShots: 1), e, w, b), 1e-5);
    }

    /// <summary>The relaxed codes with the rows from <paramref name="firstSigned"/> on of each class's block replaced by their sign.</summary>
    private static double[] SignedFrom(double[] codes, int perClass, int firstSigned) =>
        codes.Select((v, k) => k / Bits % perClass >= firstSigned ? (v >= 0 ? 1.0 : -1.0) : v).ToArray();

    [Theory]
    [InlineData(StraightThrough.Queries, Shots)]
    [InlineData(StraightThrough.All, 0)]
    public void StraightThroughScoresSignedCodesAndHandsTheGradientToTheRelaxedOnes(StraightThrough rows, int firstSigned)
    {
        // The code loss is the reference's cosine loss on the codes with the chosen rows signed, and dL/dW is the
        // gradient of the straight-through surrogate L(sign(h₀) − h₀ + h(W)) at W₀: the signed rows move with their
        // relaxed codes, without sign()'s zero derivative. Penalties off, so the weight sees the code loss alone.
        var settings = new HashTrainingSettings(Bits, QuantisationWeight: 0, BalanceWeight: 0, StraightThrough: rows);
        var (e, w, b) = RandomInputs(41);
        var episode = new EpisodeShape(Ways, Shots, Queries, Bits);
        int perClass = Shots + Queries;
        var h0 = NnReference.HashCodes(e, w, b, Dim, beta: 1);
        var signed = SignedFrom(h0, perClass, firstSigned);
        double Surrogate(double[] weight)
        {
            var h = NnReference.HashCodes(e, weight, b, Dim, beta: 1);
            return CosineLossReference.Loss(h.Select((v, k) => signed[k] - h0[k] + v).ToArray(), episode, CosineLossMode.CosineMean,
                CosineLoss.DefaultScale);
        }

        var (loss, dWeight) = CodeLossAndWeightGradient(settings, e, w, b);
        Assert.Equal(Surrogate(w), loss, 1e-5);
        var numeric = GradientCheck.CentralDifferences(Surrogate, (double[])w.Clone());
        GradientCheck.AssertClose(numeric, dWeight, 2e-5, "dL/dweight");
        // Not the relaxed codes' loss or gradient: signing changes both.
        var (relaxedLoss, relaxedGradient) = CodeLossAndWeightGradient(settings with { StraightThrough = StraightThrough.Off }, e, w, b);
        Assert.True(Math.Abs(relaxedLoss - loss) > 1e-3, $"relaxed {relaxedLoss} vs signed {loss}");
        Assert.True(relaxedGradient.Zip(dWeight).Max(p => Math.Abs(p.First - p.Second)) > 1e-4, "the gradients should differ");
    }

    private (float Loss, float[] WeightGradient) CodeLossAndWeightGradient(HashTrainingSettings settings, double[] e, double[] w, double[] b)
    {
        var ops = fx.Ops;
        using var layer = new HashLayer(ops, Dim, Bits);
        layer.Weight.Value.CopyFrom(w.ToFloat());
        layer.Bias.Value.CopyFrom(b.ToFloat());
        ops.Fill(layer.Weight.Grad, 0f);
        using var loss = new HashTrainingLoss(ops, new PrototypicalLoss(ops), layer, settings) { Episode = 0 };
        using var embeddings = ops.Upload(e);
        loss.Compute(embeddings, new EpisodeShape(Ways, Shots, Queries, Dim));
        return (loss.LastParts.Code, layer.Weight.Grad.ToArray());
    }

    [Fact]
    public void TheCodeLossUsesItsOwnScale()
    {
        // --hash-code-scale: the code loss is the reference's cosine loss at that scale, not at the default.
        const float scale = 4f;
        var (e, w, b) = RandomInputs(31);
        var codes = NnReference.HashCodes(e, w, b, Dim, beta: 1);
        var episode = new EpisodeShape(Ways, Shots, Queries, Bits);
        double expected = CosineLossReference.Loss(codes, episode, CosineLossMode.CosineMean, scale);
        Assert.True(Math.Abs(expected - CosineLossReference.Loss(codes, episode, CosineLossMode.CosineMean, CosineLoss.DefaultScale)) > 1e-3,
            "the two scales should score differently");
        Assert.Equal(expected, CodeLoss(new HashTrainingSettings(Bits, CodeScale: scale), e, w, b), 1e-5);
    }

    [Fact]
    public void ACodeScaleThatIsNotPositiveOrGoesWithProtoIsRejected()
    {
        Assert.Contains("must be a positive number (got 0)",
            Assert.Throws<Lshk.Core.InputException>(() => new HashTrainingSettings(Bits, CodeScale: 0).Validate()).Message);
        Assert.Contains("not proto",
            Assert.Throws<Lshk.Core.InputException>(() => new HashTrainingSettings(Bits, "proto", CodeScale: 5).Validate()).Message);
        new HashTrainingSettings(Bits, "proto").Validate(); // the default scale is no request
    }

    [Fact]
    public void MoreCodeShotsThanTheEpisodeHasIsAOneLineError()
    {
        var settings = new HashTrainingSettings(Bits, CodeShots: Shots + 1);
        var e = Assert.Throws<Lshk.Core.InputException>(() => settings.CodeEpisode(new EpisodeShape(Ways, Shots, Queries, Dim)));
        Assert.Equal("the code loss's 4 shots are more than the episode's 3", e.Message);
        Assert.Throws<Lshk.Core.InputException>(() => new HashTrainingSettings(Bits, CodeShots: -1).Validate());
    }

    [Fact]
    public void CodeShotsEnterTheDescriptionOnlyWhenSet()
    {
        // Runs without the option keep the fingerprints their checkpoints were written with.
        Assert.Equal("bits=64,code-loss=cosine-mean,quantisation=0.1,balance=0.1,beta-episodes=100", new HashTrainingSettings(64).Describe());
        Assert.EndsWith(",beta-episodes=100,code-shots=1", new HashTrainingSettings(64, CodeShots: 1).Describe());
        Assert.EndsWith(",beta-episodes=100,code-scale=5", new HashTrainingSettings(64, CodeScale: 5).Describe());
        Assert.EndsWith(",code-shots=1,code-scale=2.5", new HashTrainingSettings(64, CodeShots: 1, CodeScale: 2.5f).Describe());
        Assert.EndsWith(",beta-episodes=100,normalise", new HashTrainingSettings(64, Normalise: true).Describe());
        Assert.EndsWith(",beta-episodes=100,straight-through=queries", new HashTrainingSettings(64, StraightThrough: StraightThrough.Queries).Describe());
        Assert.EndsWith(",normalise,straight-through=all", new HashTrainingSettings(64, Normalise: true, StraightThrough: StraightThrough.All).Describe());
        Assert.EndsWith(",beta-episodes=100,code-weight=2", new HashTrainingSettings(64, CodeWeight: 2).Describe());
        Assert.EndsWith(",straight-through=all,code-weight=3", new HashTrainingSettings(64, StraightThrough: StraightThrough.All, CodeWeight: 3).Describe());
        Assert.EndsWith(",code-weight=3,decorrelation=10,code-margin=0.1",
            new HashTrainingSettings(64, CodeWeight: 3, DecorrelationWeight: 10, CodeMargin: 0.1f).Describe());
        Assert.Contains("must be a non-negative number (got -1)",
            Assert.Throws<Lshk.Core.InputException>(() => new HashTrainingSettings(64, DecorrelationWeight: -1).Validate()).Message);
        Assert.Contains("applies to cosine-mean, not proto",
            Assert.Throws<Lshk.Core.InputException>(() => new HashTrainingSettings(64, CodeLoss: "proto", CodeMargin: 0.1f).Validate()).Message);
    }

    [Fact]
    public void TheCodeWeightScalesTheCodeLossAndItsGradientOnly()
    {
        // --hash-code-weight w: the code loss enters the total w times, and so does its gradient; the penalties keep
        // their own weights (HashLayerTests checks that part against central differences).
        const float weight = 3f;
        var (e, w, b) = RandomInputs(51);
        var plain = new HashTrainingSettings(Bits, QuantisationWeight: 0, BalanceWeight: 0);
        var (loss, gradient) = CodeLossAndWeightGradient(plain, e, w, b);
        var (weightedLoss, weightedGradient) = CodeLossAndWeightGradient(plain with { CodeWeight = weight }, e, w, b);
        Assert.Equal(loss, weightedLoss, 1e-6f); // the reported part is the loss itself, unweighted
        Assert.True(gradient.Max(Math.Abs) > 1e-3f, "the gradient should not vanish");
        for (int k = 0; k < gradient.Length; k++) Assert.Equal(weight * gradient[k], weightedGradient[k], 1e-6f);

        Assert.Contains("must be a positive number (got 0)",
            Assert.Throws<Lshk.Core.InputException>(() => new HashTrainingSettings(Bits, CodeWeight: 0).Validate()).Message);
    }
}
