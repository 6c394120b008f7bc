using Lshk.Kernels.Nn;

namespace Lshk.Nn;

/// <summary>The prototypical-network loss (<see cref="INnOps.PrototypicalLoss"/>): squared Euclidean distance to class means.</summary>
public sealed class PrototypicalLoss(INnOps ops) : EpisodeLoss(ops)
{
    public override string Name => "proto";

    protected override (float Loss, float Accuracy) Evaluate(NnBuffer embeddings, in EpisodeShape episode, NnBuffer gradient) =>
        Ops.PrototypicalLoss(embeddings, episode, gradient);
}
