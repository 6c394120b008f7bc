using Lshk.Kernels.Nn;
using Lshk.Nn.Layers;

namespace Lshk.Nn;

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
