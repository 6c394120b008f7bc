using Lshk.Data.Sources;
using Lshk.Nn;

namespace Lshk.App.Training;

/// <summary>
/// Everything a training job is asked to do: the dataset, the settings left null take the dataset's training defaults
/// (<see cref="Lshk.Data.Datasets.TrainingDefaults"/>), the network and optimiser, the budget, and where it writes.
/// </summary>
public sealed record TrainRequest(DatasetSpec Data, string Output)
{
    public const int DefaultLayers = 4;
    public const string DefaultLoss = "proto";
    public const float DefaultLearningRate = 1e-3f;
    public const double DefaultMinutes = 12;
    public const int DefaultValidateEvery = 500;
    /// <summary>Seeded episodes per validation task: enough to tell checkpoints apart, few enough to take seconds.</summary>
    public const int DefaultValidationEpisodes = 200;
    public const int DefaultCheckpointEvery = 500;
    public const int DefaultLogEvery = 100;
    public const int DefaultSummaryEpisodes = 1000;

    public string? Split { get; init; }
    public int? Ways { get; init; }
    public int? Shots { get; init; }
    public int? Queries { get; init; }
    public int? ImageSize { get; init; }
    public int? ValidationClasses { get; init; }

    public int Layers { get; init; } = DefaultLayers;
    /// <summary>Filters per conv (null: the dataset's, <see cref="Lshk.Data.Datasets.TrainingDefaults.Filters"/>).</summary>
    public int? Filters { get; init; }
    /// <summary>Dropout probability; null: 0 after the blocks, <see cref="StudyEmbeddingDropout"/> on the embedding.</summary>
    public float? Dropout { get; init; }
    public Lshk.Nn.DropoutPlacement DropoutAt { get; init; } = Lshk.Nn.DropoutPlacement.Blocks;
    /// <summary>The 2018 study's one dropout on the final features: keep probability 0.8.</summary>
    public const float StudyEmbeddingDropout = 0.2f;
    /// <summary>Batch norm after each conv (off: the conv bias alone, as the study's network).</summary>
    public bool BatchNorm { get; init; } = true;
    /// <summary>
    /// How the last block ends (<see cref="Lshk.Nn.FinalPools"/>: on, its 2×2 max-pool; off, its map flattened as it is;
    /// average, its map averaged over its positions); null: the dataset's default.
    /// </summary>
    public string? FinalPool { get; init; }
    /// <summary>The cosine losses' scale (null: <see cref="Lshk.Kernels.Nn.CosineLoss.DefaultScale"/>).</summary>
    public float? Scale { get; init; }
    public string Loss { get; init; } = DefaultLoss;
    public float LearningRate { get; init; } = DefaultLearningRate;
    /// <summary>The learning-rate schedule (null: the dataset's, <see cref="Lshk.Data.Datasets.TrainingDefaults.Schedule"/>).</summary>
    public string? Schedule { get; init; }
    public ulong Seed { get; init; } = 1;
    /// <summary>
    /// Random affine distortions of the training images (<see cref="Lshk.Data.Imaging.RandomAffine.Parse"/>); "none": off;
    /// null: the dataset's, <see cref="Lshk.Data.Datasets.TrainingDefaults.Augment"/>.
    /// </summary>
    public string? Augment { get; init; }

    /// <summary>Hash-aware training: P code bits of a trainable hash layer (null: off), and its loss and penalty weights.</summary>
    public int? HashBits { get; init; }
    public string HashCodeLoss { get; init; } = HashTrainingSettings.DefaultCodeLoss;
    public float HashQuantisation { get; init; } = HashTrainingSettings.DefaultQuantisationWeight;
    public float HashBalance { get; init; } = HashTrainingSettings.DefaultBalanceWeight;
    public int HashBetaEpisodes { get; init; } = HashTrainingSettings.DefaultBetaEpisodes;
    public int HashCodeShots { get; init; } = HashTrainingSettings.EpisodeShots;
    /// <summary>The cosine code losses' scale (null: <see cref="Lshk.Kernels.Nn.CosineLoss.DefaultScale"/>).</summary>
    public float? HashCodeScale { get; init; }
    /// <summary>Relax each plane's projections divided by their RMS over the episode (<see cref="HashTrainingSettings.Normalise"/>).</summary>
    public bool HashNormalise { get; init; }
    /// <summary>Which rows the code loss scores as sign() codes (<see cref="HashTrainingSettings.StraightThrough"/>).</summary>
    public StraightThrough HashStraightThrough { get; init; } = StraightThrough.Off;
    /// <summary>
    /// The code loss's weight beside the embedding loss (<see cref="HashTrainingSettings.CodeWeight"/>; null: the
    /// dataset's, <see cref="Lshk.Data.Datasets.TrainingDefaults.HashCodeWeight"/>).
    /// </summary>
    public float? HashCodeWeight { get; init; }
    /// <summary>The bit-decorrelation term's weight (<see cref="HashTrainingSettings.DecorrelationWeight"/>; 0: none).</summary>
    public float HashDecorrelation { get; init; }
    /// <summary>
    /// The cosine-mean code loss's margin (<see cref="HashTrainingSettings.CodeMargin"/>; 0: none; null: the dataset's,
    /// <see cref="Lshk.Data.Datasets.TrainingDefaults.HashCodeMargin"/>, where the code loss is cosine-mean).
    /// </summary>
    public float? HashCodeMargin { get; init; }

    /// <summary>A fitted family (pca, itq) whose planes are fitted to the training classes at the end and stored with the model; null: none.</summary>
    public string? FitHash { get; init; }
    public int FitPlanes { get; init; } = DefaultFitPlanes;
    public const int DefaultFitPlanes = 64;

    /// <summary>The planes and sharpness of --loss lsh-sigmoid (ignored by the other losses).</summary>
    public LshSigmoidLossSettings LshSigmoid { get; init; } = new();

    public int ValidateEvery { get; init; } = DefaultValidateEvery;
    public int ValidationEpisodes { get; init; } = DefaultValidationEpisodes;

    /// <summary>Budget: episodes, minutes, or both (whichever ends first); neither means <see cref="DefaultMinutes"/>.</summary>
    public long? Episodes { get; init; }
    public double? Minutes { get; init; }

    /// <summary>Checkpoint file, or a folder to hold OUT-NAME.ckpt; null: OUT.ckpt.</summary>
    public string? Checkpoint { get; init; }
    public int CheckpointEvery { get; init; } = DefaultCheckpointEvery;
    public bool Resume { get; init; }
    public string? Log { get; init; }
    public int LogEvery { get; init; } = DefaultLogEvery;
    public int SummaryEpisodes { get; init; } = DefaultSummaryEpisodes;
    /// <summary>CPU worker threads (0: one per core).</summary>
    public int Threads { get; init; }

    /// <summary>
    /// Test hooks: pause half-way through writing each checkpoint, after each episode, and (to be killed there) after
    /// saving the checkpoint of one episode (0: none).
    /// </summary>
    public int CheckpointPauseMs { get; init; }
    public int EpisodePauseMs { get; init; }
    public long HoldAfterCheckpoint { get; init; }
}
