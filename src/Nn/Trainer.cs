using Lshk.Kernels.Nn;

namespace Lshk.Nn;

/// <summary>One training step: zero gradients, forward, loss, backward, optimiser update.</summary>
public sealed class Trainer(Sequential network, Optimisers.Optimiser optimiser, IEpisodeLoss loss)
{
    public Sequential Network => network;

    public IEpisodeLoss Loss => loss;

    public (float Loss, float Accuracy) Step(NnBuffer images, Nchw shape, EpisodeShape episode)
    {
        optimiser.ZeroGrad();
        var embeddings = network.Forward(images, shape, training: true);
        var result = loss.Compute(embeddings, episode);
        network.Backward(loss.Gradient);
        optimiser.Step();
        return result;
    }
}
