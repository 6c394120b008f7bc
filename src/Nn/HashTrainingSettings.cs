using System.Globalization;
using Lshk.Kernels.Nn;

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
