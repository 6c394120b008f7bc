using Lshk.Data;
using Lshk.Data.Episodes;
using Lshk.Kernels.Nn;
using Lshk.Nn;
using Lshk.Nn.Layers;
using Lshk.Nn.ModelFiles;
using Lshk.Nn.Optimisers;

namespace Lshk.App.Training;

/// <summary>
/// The state of a training run and its step: episode i (a pure function of the seed and i) is gathered class-major
/// into one batch — per class its supports, then its queries, the layout <see cref="EpisodeShape"/> describes — and
/// the trainer runs forward, the --loss episode loss, backward and the Adam update. The batch buffers are made once and reused.
/// With hash-aware training (<see cref="TrainSettings.Hash"/>) a <see cref="HashLayer"/> after the network adds its
/// code loss (<see cref="HashTrainingLoss"/>), and Adam updates its planes with the network.
/// </summary>
public sealed class EpisodeTraining : IDisposable
{
    private readonly Dataset _train;
    private readonly EpisodeSampler _sampler;
    private readonly IEpisodeLoss _loss;
    private readonly HashTrainingLoss? _hashLoss;
    private readonly LshSigmoidLoss? _lshLoss;
    private readonly Trainer _trainer;
    private readonly EpisodeShape _episode;
    private readonly Nchw _inputShape;
    private readonly float[] _host;
    private readonly NnBuffer _images;

    public EpisodeTraining(INnOps ops, TrainSettings settings, Dataset train)
    {
        settings.Validate();
        var config = settings.Network;
        if (train.Channels != config.InputChannels || train.Height != config.InputSize || train.Width != config.InputSize)
            throw new Lshk.Core.InputException($"{train.Source}: images are {train.Channels}×{train.Height}×{train.Width}, the network takes {config.InputChannels}×{config.InputSize}×{config.InputSize}");
        Ops = ops;
        Settings = settings;
        _train = train;
        _sampler = new EpisodeSampler(train, new EpisodeSpec(settings.Ways, settings.Shots, settings.Queries), settings.Seed);
        Network = ConvNet.Create(ops, config, settings.Seed);
        _loss = settings.Loss == LshSigmoidLoss.LossName
            ? _lshLoss = new LshSigmoidLoss(ops, config.EmbeddingDim, (settings.LshSigmoid ?? new LshSigmoidLossSettings()) with { Scale = settings.Scale }, settings.Seed)
            : EpisodeLosses.Create(settings.Loss, ops, settings.Scale);
        if (settings.Hash is { } hash)
        {
            Hash = new HashLayer(ops, config.EmbeddingDim, hash.Bits);
            Hash.Initialise(settings.Seed);
            _loss = _hashLoss = new HashTrainingLoss(ops, _loss, Hash, hash);
        }
        NamedParameters = [.. Network.NamedParameters(), .. Hash?.NamedParameters ?? [], .. _lshLoss?.NamedParameters ?? []];
        Optimiser = new Adam(ops, NamedParameters.Select(p => p.Parameter).ToArray(), settings.CreateSchedule());
        _trainer = new Trainer(Network, Optimiser, _loss);
        _episode = new EpisodeShape(settings.Ways, settings.Shots, settings.Queries, config.EmbeddingDim);
        _inputShape = ConvNet.InputShape(config, _episode.Batch);
        _host = new float[_inputShape.Length];
        _images = ops.Allocate(_inputShape.Length);
    }

    public INnOps Ops { get; }
    public TrainSettings Settings { get; private set; }
    public Sequential Network { get; }
    public Optimiser Optimiser { get; }

    /// <summary>
    /// Replaces the learning-rate schedule from the next episode on (a minutes budget's cosine, once the run knows its
    /// pace): the settings, and so the model's metadata and the checkpoint's fingerprint, name the new one.
    /// </summary>
    public void UseSchedule(string schedule)
    {
        var settings = Settings with { Schedule = schedule };
        Optimiser.Schedule = settings.CreateSchedule();
        Settings = settings;
    }

    /// <summary>The hash layer of hash-aware training, or null.</summary>
    public HashLayer? Hash { get; }

    /// <summary>Every trained parameter with its file name (the network's, then the hash layer's), in the optimiser's order.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters { get; }

    /// <summary>
    /// The hash planes the run trains with, as the model file stores them: the hash layer's (--hash-bits) or the
    /// lsh-sigmoid loss's (fixed or trained); null when the run has none.
    /// </summary>
    public StoredPlanes? Planes() => Hash?.ToStoredPlanes() ?? _lshLoss?.ToStoredPlanes();

    /// <summary>Sets the run's planes from a checkpoint.</summary>
    public void LoadPlanes(StoredPlanes planes)
    {
        if (Hash is not null) Hash.Load(planes);
        else if (_lshLoss is not null) _lshLoss.Load(planes);
        else throw new InvalidOperationException("this run trains no planes");
    }

    /// <summary>The last step's loss parts under hash-aware training (embedding, code, penalties), else null.</summary>
    public (float Embedding, float Code, HashPenalties Penalties)? HashParts => _hashLoss?.LastParts;

    /// <summary>Episodes trained so far (the next step trains episode number <see cref="Episode"/>).</summary>
    public long Episode { get; set; }

    /// <summary>Images per step: ways × (shots + queries).</summary>
    public int BatchImages => _episode.Batch;

    /// <summary>Trains on the next episode; returns its loss and the queries' accuracy.</summary>
    public (float Loss, float Accuracy) Step()
    {
        Gather(_sampler.Sample(Episode));
        _images.CopyFrom(_host);
        if (_hashLoss is not null) _hashLoss.Episode = Episode;
        var result = _trainer.Step(_images, _inputShape, _episode);
        Episode++;
        return result;
    }

    /// <summary>
    /// Copies the episode's images into the batch, class c's supports, then its queries, each distorted at random
    /// when the run augments (<see cref="TrainSettings.Augment"/>; the draws depend on the episode and the position).
    /// </summary>
    private void Gather(Episode episode)
    {
        int shots = Settings.Shots, queries = Settings.Queries;
        int item = 0;
        for (int c = 0; c < episode.Ways; c++)
        {
            for (int k = 0; k < shots; k++) Place(episode.Support[c * shots + k], item++);
            for (int k = 0; k < queries; k++) Place(episode.Query[c * queries + k], item++);
        }
    }

    private void Place(int image, int item)
    {
        int length = _train.ImageLength;
        var slot = _host.AsSpan(item * length, length);
        if (Settings.Augment is not { } augment)
        {
            _train.Image(image).CopyTo(slot);
            return;
        }
        augment.Draw(Settings.Seed, Episode, item).Warp(_train.Image(image), slot, _train.Channels, _train.Height, _train.Width);
    }

    public void Dispose()
    {
        _images.Dispose();
        _loss.Dispose();
        Hash?.Dispose();
        Optimiser.Dispose();
        Network.Dispose();
    }
}
