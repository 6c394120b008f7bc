using Lshk.Kernels.Nn;

namespace Lshk.Nn;

/// <summary>
/// The matching-network loss (<see cref="INnOps.MatchingLoss"/>): softmax over the supports' cosines times a fixed
/// <paramref name="scale"/>, a class's probability the sum over its supports.
/// </summary>
public sealed class MatchingLoss(INnOps ops, float scale = CosineLoss.DefaultScale) : EpisodeLoss(ops)
{
    public override string Name => "matching";

    public float Scale => scale;

    protected override (float Loss, float Accuracy) Evaluate(NnBuffer embeddings, in EpisodeShape episode, NnBuffer gradient) =>
        Ops.MatchingLoss(embeddings, episode, scale, gradient);
}

/// <summary>
/// The cosine-mean loss (<see cref="INnOps.CosineMeanLoss"/>): softmax over classes of the mean cosine to the
/// class's supports times a fixed <paramref name="scale"/>, the true class's cosine lowered by <paramref name="margin"/>
/// in the loss (0: none).
/// </summary>
public sealed class CosineMeanLoss(INnOps ops, float scale = CosineLoss.DefaultScale, float margin = 0f) : EpisodeLoss(ops)
{
    /// <summary>The loss's --loss name; the one loss that takes a margin.</summary>
    public const string LossName = "cosine-mean";

    public override string Name => LossName;

    public float Scale => scale;
    public float Margin => margin;

    protected override (float Loss, float Accuracy) Evaluate(NnBuffer embeddings, in EpisodeShape episode, NnBuffer gradient) =>
        Ops.CosineMeanLoss(embeddings, episode, scale, gradient, margin);
}
