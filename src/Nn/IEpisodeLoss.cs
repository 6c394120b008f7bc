using Lshk.Kernels.Nn;

namespace Lshk.Nn;

/// <summary>
/// A loss over one few-shot episode laid out class-major (see <see cref="EpisodeShape"/>): it scores the embeddings
/// of supports and queries, and keeps dL/d(embeddings) for the network's backward.
/// </summary>
public interface IEpisodeLoss : IDisposable
{
    /// <summary>The name <c>lshk train --loss</c> knows it by.</summary>
    string Name { get; }

    /// <summary>The loss (mean over queries) and the queries' accuracy; fills <see cref="Gradient"/>.</summary>
    (float Loss, float Accuracy) Compute(NnBuffer embeddings, EpisodeShape episode);

    /// <summary>dL/d(embeddings) of the last <see cref="Compute"/>.</summary>
    NnBuffer Gradient { get; }
}

/// <summary>
/// The base of the episode losses: the gradient buffer, made by <paramref name="ops"/> and reused between steps
/// while the episode's size stays the same.
/// </summary>
public abstract class EpisodeLoss(INnOps ops) : IEpisodeLoss
{
    private NnBuffer? _gradient;

    public abstract string Name { get; }

    protected INnOps Ops => ops;

    public NnBuffer Gradient => _gradient ?? throw new InvalidOperationException("no loss has been computed yet");

    public (float Loss, float Accuracy) Compute(NnBuffer embeddings, EpisodeShape episode)
    {
        var gradient = ReusedBuffer.Ensure(ops, ref _gradient, episode.Batch * episode.Dim);
        return Evaluate(embeddings, episode, gradient);
    }

    /// <summary>Runs the loss op, writing the gradient into <paramref name="gradient"/>.</summary>
    protected abstract (float Loss, float Accuracy) Evaluate(NnBuffer embeddings, in EpisodeShape episode, NnBuffer gradient);

    public void Dispose()
    {
        _gradient?.Dispose();
        _gradient = null;
        DisposeCore();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what a loss owns besides its gradient (its parameters, its operation's buffers).</summary>
    protected virtual void DisposeCore()
    {
    }
}
