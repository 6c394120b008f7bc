using Lshk.Kernels.Nn;

namespace Lshk.Nn;

/// <summary>
/// The prototypical-network loss of an episode laid out class-major (see <see cref="EpisodeShape"/>), with its
/// gradient kept in a buffer reused between steps.
/// </summary>
public sealed class PrototypicalLoss(INnOps ops) : IDisposable
{
    private NnBuffer? _gradient;

    /// <summary>dL/d(embeddings) of the last <see cref="Compute"/>.</summary>
    public NnBuffer Gradient => _gradient ?? throw new InvalidOperationException("no loss has been computed yet");

    public (float Loss, float Accuracy) Compute(NnBuffer embeddings, EpisodeShape episode)
    {
        int length = episode.Batch * episode.Dim;
        if (_gradient is null || _gradient.Length != length)
        {
            _gradient?.Dispose();
            _gradient = ops.Allocate(length);
        }
        return ops.PrototypicalLoss(embeddings, episode, _gradient);
    }

    public void Dispose() => _gradient?.Dispose();
}

/// <summary>One training step: zero gradients, forward, loss, backward, optimiser update.</summary>
public sealed class Trainer(Sequential network, Optimisers.Optimiser optimiser, PrototypicalLoss loss)
{
    public Sequential Network => network;

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
