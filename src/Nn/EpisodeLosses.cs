using Lshk.Kernels.Nn;

namespace Lshk.Nn;

/// <summary>The episode losses by their <c>--loss</c> names.</summary>
public static class EpisodeLosses
{
    public static readonly string[] Names = ["proto", "matching", CosineMeanLoss.LossName];

    /// <summary>
    /// The loss called <paramref name="name"/> (one of <see cref="Names"/>); cosine losses use <paramref name="scale"/>,
    /// cosine-mean a <paramref name="margin"/> (the others have none).
    /// </summary>
    public static IEpisodeLoss Create(string name, INnOps ops, float scale = CosineLoss.DefaultScale, float margin = 0f) => name switch
    {
        _ when margin != 0f && name != CosineMeanLoss.LossName => throw new Lshk.Core.InputException($"a cosine margin applies to the cosine-mean loss, not {name}"),
        "proto" => new PrototypicalLoss(ops),
        "matching" => new MatchingLoss(ops, scale),
        CosineMeanLoss.LossName => new CosineMeanLoss(ops, scale, margin),
        _ => throw new Lshk.Core.InputException($"unknown episode loss '{name}' (known: {string.Join(", ", Names)})"),
    };
}
