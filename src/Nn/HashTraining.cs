using System.Globalization;
using Lshk.Kernels.Nn;
using Lshk.Nn.Layers;

namespace Lshk.Nn;

/// <summary>
/// Settings of hash-aware training (<c>lshk train --hash-bits P</c>): P code bits, the loss the relaxed codes are
/// scored with, the weights of the quantisation and bit-balance terms, and how fast β (the sharpness of tanh(β·z))
/// grows: β = √(1 + episode / <see cref="BetaEpisodes"/>), HashNet's continuation, so early training sees smooth
/// codes with useful gradients and late training codes that sign() barely changes. <see cref="CodeShots"/>, when set,
/// scores the codes on a fewer-shot view of the same episode (below). <see cref="CodeScale"/> is the cosine code
/// losses' softmax scale: on ±1 codes one flipped bit moves a cosine by 2/P, so the scale sets how hard the loss keeps
/// pulling a class's codes together once its queries are already ranked first. <see cref="Normalise"/> relaxes each
/// plane's projections divided by their RMS over the episode (see <see cref="IHashLayerOp"/>), so the quantisation
/// term measures closeness to a plane against the spread of the projections, which scaling the planes cannot change.
/// <see cref="StraightThrough"/> scores some rows' codes as sign() gives them (below). <see cref="CodeWeight"/> weighs
/// the code loss against the embedding loss. <see cref="DecorrelationWeight"/> weighs a term that drives every pair of
/// bits towards uncorrelated over the episode (<see cref="Lshk.Kernels.Nn.IHashLayerOp.AddDecorrelationGradient"/>; 0: none).
/// <see cref="CodeMargin"/> is the cosine-mean code loss's additive margin: on ±1 codes a cosine margin m asks the
/// true class to lead by m·P/2 bits of Hamming distance (0: none).
/// </summary>
public sealed record HashTrainingSettings(int Bits, string CodeLoss = HashTrainingSettings.DefaultCodeLoss,
    float QuantisationWeight = HashTrainingSettings.DefaultQuantisationWeight, float BalanceWeight = HashTrainingSettings.DefaultBalanceWeight,
    int BetaEpisodes = HashTrainingSettings.DefaultBetaEpisodes, int CodeShots = HashTrainingSettings.EpisodeShots,
    float CodeScale = CosineLoss.DefaultScale, bool Normalise = false, StraightThrough StraightThrough = StraightThrough.Off,
    float CodeWeight = HashTrainingSettings.DefaultCodeWeight, float DecorrelationWeight = 0f, float CodeMargin = 0f)
{
    /// <summary><see cref="CodeShots"/> meaning "as many as the episode has".</summary>
    public const int EpisodeShots = 0;

    /// <summary>
    /// The relaxed codes are scored by cosine: on ±1 codes cos = 1 − 2·Hamming/P, so the loss ranks supports as the
    /// Hamming kernels will.
    /// </summary>
    public const string DefaultCodeLoss = CosineMeanLoss.LossName;
    public const float DefaultQuantisationWeight = 0.1f;
    public const float DefaultBalanceWeight = 0.1f;
    public const int DefaultBetaEpisodes = 100;

    /// <summary>
    /// The code loss's weight beside the embedding loss (whose weight is 1). Both send gradients into the network, so
    /// the ratio sets how much the embedding is shaped for sign() against for its own loss; Adam makes the overall
    /// scale irrelevant, the ratio is what counts.
    /// </summary>
    public const float DefaultCodeWeight = 1f;

    public float Beta(long episode) => MathF.Sqrt(1f + (float)episode / BetaEpisodes);

    public void Validate()
    {
        if (Bits < 1) throw new Lshk.Core.InputException($"hash bits must be at least 1 (got {Bits})");
        if (!EpisodeLosses.Names.Contains(CodeLoss)) throw new Lshk.Core.InputException($"unknown code loss '{CodeLoss}' (known: {string.Join(", ", EpisodeLosses.Names)})");
        if (!(QuantisationWeight >= 0 && float.IsFinite(QuantisationWeight))) throw new Lshk.Core.InputException($"the quantisation weight must be a non-negative number (got {QuantisationWeight})");
        if (!(BalanceWeight >= 0 && float.IsFinite(BalanceWeight))) throw new Lshk.Core.InputException($"the bit-balance weight must be a non-negative number (got {BalanceWeight})");
        if (BetaEpisodes < 1) throw new Lshk.Core.InputException($"the β growth period must be at least 1 episode (got {BetaEpisodes})");
        if (CodeShots < 0) throw new Lshk.Core.InputException($"the code loss's shots must be 0 (the episode's) or more (got {CodeShots})");
        if (!(CodeWeight > 0 && float.IsFinite(CodeWeight))) throw new Lshk.Core.InputException($"the code loss's weight must be a positive number (got {CodeWeight})");
        if (!(CodeScale > 0 && float.IsFinite(CodeScale))) throw new Lshk.Core.InputException($"the code loss's scale must be a positive number (got {CodeScale})");
        if (!(CodeMargin >= 0 && CodeMargin < 2 && float.IsFinite(CodeMargin))) throw new Lshk.Core.InputException($"the code loss's margin must be a cosine from 0 to below 2 (got {CodeMargin})");
        if (CodeMargin != 0f && CodeLoss != CosineMeanLoss.LossName) throw new Lshk.Core.InputException($"the code loss's margin applies to cosine-mean, not {CodeLoss}");
        if (!(DecorrelationWeight >= 0 && float.IsFinite(DecorrelationWeight))) throw new Lshk.Core.InputException($"the bit-decorrelation weight must be a non-negative number (got {DecorrelationWeight})");
        if (CodeScale != CosineLoss.DefaultScale && CodeLoss == "proto")
            throw new Lshk.Core.InputException("the code loss's scale applies to the cosine code losses (matching, cosine-mean), not proto");
    }

    /// <summary>
    /// The episode the code loss sees. With <see cref="CodeShots"/> = k below the episode's S shots, each class keeps
    /// its first k supports and its other S − k supports join its queries. The batch is class-major (a class's
    /// supports, then its queries), so this is the same buffer read as a k-shot episode with more queries: nothing
    /// moves. Why: a code that must find its class from a single stored support (1-shot Hamming matching) is trained
    /// that way, rather than against the mean of five.
    /// </summary>
    public EpisodeShape CodeEpisode(EpisodeShape episode)
    {
        var codes = episode with { Dim = Bits };
        if (CodeShots == EpisodeShots || CodeShots == episode.Shots) return codes;
        if (CodeShots > episode.Shots)
            throw new Lshk.Core.InputException($"the code loss's {CodeShots} shots are more than the episode's {episode.Shots}");
        return codes with { Shots = CodeShots, Queries = episode.Queries + episode.Shots - CodeShots };
    }

    /// <summary>
    /// A canonical one-line form (checkpoint fingerprints, model metadata). The code shots, scale and normalisation appear only when
    /// set, so runs that do not ask for them keep the fingerprints (and resumable checkpoints) they had.
    /// </summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"bits={Bits},code-loss={CodeLoss},quantisation={QuantisationWeight:R},balance={BalanceWeight:R},beta-episodes={BetaEpisodes}") +
        (CodeShots == EpisodeShots ? "" : string.Create(CultureInfo.InvariantCulture, $",code-shots={CodeShots}")) +
        (CodeScale == CosineLoss.DefaultScale ? "" : string.Create(CultureInfo.InvariantCulture, $",code-scale={CodeScale:R}")) +
        (Normalise ? ",normalise" : "") +
        (StraightThrough == StraightThrough.Off ? "" : $",straight-through={StraightThrough.Name()}") +
        (CodeWeight == DefaultCodeWeight ? "" : string.Create(CultureInfo.InvariantCulture, $",code-weight={CodeWeight:R}")) +
        (DecorrelationWeight == 0f ? "" : string.Create(CultureInfo.InvariantCulture, $",decorrelation={DecorrelationWeight:R}")) +
        (CodeMargin == 0f ? "" : string.Create(CultureInfo.InvariantCulture, $",code-margin={CodeMargin:R}"));

    /// <summary>
    /// The first row of each class's block (its supports, then its queries, in the code loss's episode) that the code
    /// loss sees as sign() codes; the block's length when none is.
    /// </summary>
    public int FirstSignedRow(EpisodeShape codeEpisode) => StraightThrough switch
    {
        StraightThrough.All => 0,
        StraightThrough.Queries => codeEpisode.Shots,
        _ => codeEpisode.PerClass,
    };
}

/// <summary>
/// Which codes the code loss scores as sign() gives them, with the straight-through estimator (the loss's gradient
/// with respect to sign(h) handed to the relaxed code h unchanged, then through tanh's own derivative): off (the
/// relaxed codes, the default), the queries (a query is matched by its bits when pure Hamming matching classifies it,
/// while the supports stay relaxed so their class mean keeps a smooth gradient), or every row.
/// </summary>
public enum StraightThrough { Off, Queries, All }

public static class StraightThroughNames
{
    public static string Name(this StraightThrough rows) => rows.ToString().ToLowerInvariant();

    /// <summary>Parses off, queries or all; null for anything else.</summary>
    public static StraightThrough? Parse(string text) => text.ToLowerInvariant() switch
    {
        "off" or "none" => StraightThrough.Off,
        "queries" or "query" => StraightThrough.Queries,
        "all" => StraightThrough.All,
        _ => null,
    };
}

/// <summary>
/// The episode loss of hash-aware training: the usual loss on the float embeddings, plus the code loss on the
/// hash layer's relaxed codes, plus the quantisation and bit-balance terms. The embeddings' gradient is the sum of
/// both paths, so the network learns embeddings that are good as floats <i>and</i> survive sign() — the float
/// embedding is not given up for the codes. Reported accuracy is the codes' (what Hamming matching will see).
/// </summary>
public sealed class HashTrainingLoss : IEpisodeLoss
{
    private readonly IEpisodeLoss _embeddingLoss, _codeLoss;

    public HashTrainingLoss(INnOps ops, IEpisodeLoss embeddingLoss, HashLayer layer, HashTrainingSettings settings)
    {
        settings.Validate();
        _embeddingLoss = embeddingLoss;
        _codeLoss = EpisodeLosses.Create(settings.CodeLoss, ops, settings.CodeScale, settings.CodeMargin);
        Layer = layer;
        Settings = settings;
    }

    public string Name => $"{_embeddingLoss.Name}+hash";

    public HashLayer Layer { get; }
    public HashTrainingSettings Settings { get; }

    /// <summary>The episode being trained: sets β. The training loop keeps it current (also across a resume).</summary>
    public long Episode { get; set; }

    /// <summary>The parts of the last <see cref="Compute"/>: embedding loss, code loss and the two penalties.</summary>
    public (float Embedding, float Code, HashPenalties Penalties) LastParts { get; private set; }

    public NnBuffer Gradient => _embeddingLoss.Gradient;

    public (float Loss, float Accuracy) Compute(NnBuffer embeddings, EpisodeShape episode)
    {
        var codes = Layer.Forward(embeddings, episode.Batch, Settings.Beta(Episode), Settings.Normalise);
        var (embeddingLoss, _) = _embeddingLoss.Compute(embeddings, episode);
        var codeEpisode = Settings.CodeEpisode(episode);
        // Straight-through: the loss scores the signed rows, and its gradient goes to the relaxed codes as it is.
        var scored = Settings.StraightThrough == StraightThrough.Off ? codes
            : Layer.SignedCodes(codeEpisode.PerClass, Settings.FirstSignedRow(codeEpisode));
        var (codeLoss, codeAccuracy) = _codeLoss.Compute(scored, codeEpisode);
        var dCodes = _codeLoss.Gradient;
        var penalties = Layer.AddPenalties(dCodes, Settings.QuantisationWeight, Settings.BalanceWeight, Settings.CodeWeight);
        if (Settings.DecorrelationWeight > 0f) penalties = penalties with { Decorrelation = Layer.AddDecorrelation(dCodes, Settings.DecorrelationWeight) };
        Layer.Backward(dCodes, _embeddingLoss.Gradient);
        LastParts = (embeddingLoss, codeLoss, penalties);
        float total = embeddingLoss + Settings.CodeWeight * codeLoss + Settings.QuantisationWeight * penalties.Quantisation + Settings.BalanceWeight * penalties.Balance +
                      Settings.DecorrelationWeight * penalties.Decorrelation;
        return (total, codeAccuracy);
    }

    public void Dispose()
    {
        _embeddingLoss.Dispose();
        _codeLoss.Dispose();
    }
}
