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
/// class's supports times a fixed <paramref name="scale"/>.
/// </summary>
public sealed class CosineMeanLoss(INnOps ops, float scale = CosineLoss.DefaultScale) : EpisodeLoss(ops)
{
    public override string Name => "cosine-mean";

    public float Scale => scale;

    protected override (float Loss, float Accuracy) Evaluate(NnBuffer embeddings, in EpisodeShape episode, NnBuffer gradient) =>
        Ops.CosineMeanLoss(embeddings, episode, scale, gradient);
}

/// <summary>The episode losses by their <c>--loss</c> names.</summary>
public static class EpisodeLosses
{
    public static readonly string[] Names = ["proto", "matching", "cosine-mean"];

    /// <summary>The loss called <paramref name="name"/> (one of <see cref="Names"/>); cosine losses use <paramref name="scale"/>.</summary>
    public static IEpisodeLoss Create(string name, INnOps ops, float scale = CosineLoss.DefaultScale) => name switch
    {
        "proto" => new PrototypicalLoss(ops),
        "matching" => new MatchingLoss(ops, scale),
        "cosine-mean" => new CosineMeanLoss(ops, scale),
        _ => throw new ArgumentException($"unknown episode loss '{name}' (known: {string.Join(", ", Names)})"),
    };
}
