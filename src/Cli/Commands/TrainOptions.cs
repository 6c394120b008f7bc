using System.CommandLine;
using Lshk.App.Training;
using Lshk.Data.Datasets;
using Lshk.Data.Sources;
using Lshk.Nn;

namespace Lshk.Cli.Commands;

/// <summary>The options of <c>lshk train</c>; defaults come from <see cref="TrainRequest"/> and the dataset registry.</summary>
internal sealed class TrainOptions
{
    public Option<string> Data { get; } = new("--data")
    {
        Description = $"NAME or NAME:PATH ({DatasetRegistry.Names()}); without a path $LSHK_DATA/NAME, then data/NAME",
        DefaultValueFactory = _ => DatasetRegistry.BuiltIn[0].Id,
    };
    public Option<string?> Split { get; } = new("--split")
    {
        Description = "Class split (as lshk data info; Omniglot: official, the default, or vinyals, the first 1200 characters train; default elsewhere: mnist and fashion-mnist classes 0-4 train, " +
                      "5-9 test, as the 2018 study split MNIST; cifar10 5/0/5 and cifar100 64/16/20, seeded; folders 60% train)",
    };
    public Option<int?> Ways { get; } = new("--ways") { Description = $"Classes per training episode (default {DatasetRegistry.DescribeDefault(d => d.Ways)})" };
    public Option<int?> Shots { get; } = new("--shots") { Description = $"Support images per class (default {DatasetRegistry.DescribeDefault(d => d.Shots)})" };
    public Option<int?> Queries { get; } = new("--queries") { Description = $"Query images per class (default {DatasetRegistry.DescribeDefault(d => d.Queries)})" };
    public Option<int?> ImageSize { get; } = new("--size", "--image-size")
    {
        Description = $"Image side the network takes, in pixels; images are resized to it (default: the dataset's, {DatasetRegistry.DescribeDefault(d => d.ImageSize)}); " +
                      "the embedding has filters × (size halved per block)² values",
    };
    public Option<string> Loss { get; } = new("--loss")
    {
        Description = $"Training loss: {string.Join(", ", TrainSettings.Losses)} (proto: squared Euclidean distance to class means; " +
                      $"matching: softmax over the supports' cosines, a class's probability summed over its supports; cosine-mean: softmax over " +
                      $"each class's mean cosine; both cosine losses multiply cosines by --scale; " +
                      "lsh-sigmoid: the original study's LSH-in-the-loop matching loss over --lsh-planes random planes)",
        DefaultValueFactory = _ => TrainRequest.DefaultLoss,
    };
    public Option<int> Layers { get; } = new("--layers") { Description = "Conv blocks of the network", DefaultValueFactory = _ => TrainRequest.DefaultLayers };
    public Option<int?> Filters { get; } = new("--filters")
    {
        Description = $"Filters per conv (default {DatasetRegistry.DescribeDefault(d => d.Filters)})",
    };
    public Option<float?> Scale { get; } = new("--scale")
    {
        Description = $"Scale of the cosine losses' logits (default {Lshk.Kernels.Nn.CosineLoss.DefaultScale:0}; the 2018 study's unscaled mean-cosine loss: --loss cosine-mean --scale 1)",
    };
    public Option<float?> Dropout { get; } = new("--dropout")
    {
        Description = $"Dropout probability (default 0: none after the blocks; {TrainRequest.StudyEmbeddingDropout} on the embedding, the study's keep probability 0.8)",
    };
    public Option<string> DropoutAt { get; } = new("--dropout-at")
    {
        Description = "Where dropout goes: blocks (after each block) or embedding (once, on the final features, as the 2018 study)",
        DefaultValueFactory = _ => "blocks",
    };
    public Option<string> BatchNorm { get; } = new("--batch-norm")
    {
        Description = "on: batch norm after each conv; off: none, the conv bias alone (the 2018 study's network)",
        DefaultValueFactory = _ => "on",
    };
    public Option<string?> FinalPool { get; } = new("--final-pool")
    {
        Description = "on: every block ends with a 2×2 max-pool; off: the last block's map is flattened as it is " +
                      "(Omniglot at 28×28: a 3×3×filters map, 1,152-d with 128 filters, at the same cost); " +
                      "average: the last block's map averaged over its positions (a filters-d embedding that every position feeds, " +
                      "where the 2×2 pool of a 3×3 map reads only its top-left 4) " +
                      $"(default {DatasetRegistry.DescribeDefault(d => d.FinalPool)})",
    };
    public Option<float> Lr { get; } = new("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => TrainRequest.DefaultLearningRate };
    public Option<string?> Schedule { get; } = new("--lr-schedule")
    {
        Description = "constant; cosine (to 0 over the budget: over --episodes, or over the episodes --minutes holds at the pace of the first " +
                      $"{RunPlan.DefaultPaceEpisodes}, which are taken at the full rate); cosine:N[:K] (over N episodes, the first K at the full rate); " +
                      $"or step:EVERY:GAMMA, e.g. {TrainingDefaults.PaperSchedule} halves every 2000 episodes as the prototypical-networks paper " +
                      $"(default {DatasetRegistry.DescribeDefault(d => d.Schedule)})",
    };
    public Option<long?> Episodes { get; } = new("--episodes") { Description = "Budget: training episodes" };
    public Option<double?> Minutes { get; } = new("--minutes") { Description = $"Budget: minutes of training (default {TrainRequest.DefaultMinutes} when --episodes is not given either)" };
    public Option<ulong> Seed { get; } = new("--seed") { Description = "Seed of initialisation, episodes and dropout", DefaultValueFactory = _ => 1UL };
    public Option<string> Output { get; } = new("--out") { Description = "Model file to write (.safetensors): the best validated model", DefaultValueFactory = _ => "model.safetensors" };
    public Option<int?> ValidationClasses { get; } = new("--validation-classes")
    {
        Description = $"Training classes held out for validation (default {DatasetRegistry.DescribeDefault(d => d.ValidationClasses)}; " +
                      "Omniglot counts characters before rotation; other datasets' splits may hold validation classes of their own)",
    };
    public Option<int> ValidateEvery { get; } = new("--validate-every") { Description = "Validate every N episodes (0: never; the final model is kept)", DefaultValueFactory = _ => TrainRequest.DefaultValidateEvery };
    public Option<int> ValidationEpisodes { get; } = new("--validation-episodes") { Description = "Seeded episodes per validation task (5- and 20-way 1-shot)", DefaultValueFactory = _ => TrainRequest.DefaultValidationEpisodes };
    public Option<string?> Checkpoint { get; } = new("--checkpoint") { Description = "Checkpoint file or folder (default: OUT.ckpt)" };
    public Option<int> CheckpointEvery { get; } = new("--checkpoint-every") { Description = "Write a checkpoint every N episodes and at the end, so that --resume with a larger --episodes extends a finished run exactly (0: never)", DefaultValueFactory = _ => TrainRequest.DefaultCheckpointEvery };
    public Option<bool> Resume { get; } = new("--resume")
    {
        Description = "Continue from the checkpoint (when it exists) exactly where it stopped: with an --episodes budget, on the CPU " +
                      "with the same thread count, the model ends bit-identical to an uninterrupted run's (a --minutes budget counts the time already spent)",
    };
    public Option<string?> Log { get; } = new("--log") { Description = "Per-interval CSV log of the run" };
    public Option<int> LogEvery { get; } = new("--log-every") { Description = "Episodes per log interval (CSV row; progress line when not on a terminal)", DefaultValueFactory = _ => TrainRequest.DefaultLogEvery };
    public Option<int> SummaryEpisodes { get; } = new("--summary-episodes") { Description = "Test episodes per task in the final cosine-vs-LSH summary (0: skip it)", DefaultValueFactory = _ => TrainRequest.DefaultSummaryEpisodes };
    public Option<int> Threads { get; } = new("--threads") { Description = "CPU worker threads (0: one per core); a resumed run must use the same count to be bit-identical", DefaultValueFactory = _ => 0 };
    public DataSourceOptions Source { get; } = new();
    public Option<int> CheckpointPause { get; } = new("--debug-checkpoint-pause-ms") { Hidden = true, Description = "Test hook: pause half-way through writing each checkpoint" };
    public Option<int> EpisodePause { get; } = new("--debug-episode-pause-ms") { Hidden = true, Description = "Test hook: pause after each episode" };
    public Option<long> HoldAfterCheckpoint { get; } = new("--debug-hold-after-checkpoint") { Hidden = true, Description = "Test hook: wait to be killed after saving the checkpoint of this episode" };
    public Option<string> Device { get; } = CommonOptions.Device();
    public TraceOptions Tracing { get; } = new();
    public Option<int?> HashBits { get; } = new("--hash-bits")
    {
        Description = "Hash-aware training: a trainable P-bit hash layer after the embedding (tanh relaxation, quantisation and bit-balance terms); " +
                      "its planes are saved in the model as family 'learned' (eval --hash learned --planes P); 0: none " +
                      $"(default {DatasetRegistry.DescribeDefault(d => d.HashBits)}; none with --loss lsh-sigmoid or --fit-hash pca|itq)",
    };
    public Option<string> HashCodeLoss { get; } = new("--hash-code-loss")
    {
        Description = $"Episode loss on the relaxed codes ({string.Join(", ", EpisodeLosses.Names)})",
        DefaultValueFactory = _ => HashTrainingSettings.DefaultCodeLoss,
    };
    public Option<float> HashQuantisation { get; } = new("--hash-quantisation")
    {
        Description = "Weight of the quantisation term mean (|h| − 1)²",
        DefaultValueFactory = _ => HashTrainingSettings.DefaultQuantisationWeight,
    };
    public Option<int> HashCodeShots { get; } = new("--hash-code-shots")
    {
        Description = "Score the codes on a K-shot view of each episode (its other supports become queries), e.g. 1 for codes matched against one stored support; 0: the episode's shots",
        DefaultValueFactory = _ => HashTrainingSettings.EpisodeShots,
    };
    public Option<float?> HashCodeScale { get; } = new("--hash-code-scale")
    {
        Description = $"Softmax scale of the cosine code losses (default {Lshk.Kernels.Nn.CosineLoss.DefaultScale}): lower keeps pulling a class's codes together after its queries rank first",
    };
    public Option<float?> HashCodeWeight { get; } = new("--hash-code-weight")
    {
        Description = "Weight of the code loss beside the embedding loss (weight 1): higher shapes the embedding more for sign() " +
                      $"(default {DatasetRegistry.DescribeDefault(d => d.HashCodeWeight)})",
    };
    public Option<float?> HashCodeMargin { get; } = new("--hash-code-margin")
    {
        Description = "Additive cosine margin of the cosine-mean code loss: a query's class must lead the others by this much (on ±1 codes, margin·P/2 bits of Hamming distance); 0: none " +
                      $"(default {DatasetRegistry.DescribeDefault(d => d.HashCodeMargin)}, with the cosine-mean code loss)",
    };
    public Option<float> HashDecorrelation { get; } = new("--hash-decorrelation")
    {
        Description = "Weight of the bit-decorrelation term, the mean squared correlation of every pair of code bits over the episode (0: none)",
        DefaultValueFactory = _ => 0f,
    };
    public Option<bool> HashNormalise { get; } = new("--hash-normalise")
    {
        Description = "Relax each plane's projections divided by their RMS over the episode, so the quantisation term pushes images away from the planes rather than scaling them (sign, and so the stored planes, unchanged)",
    };
    public Option<string> HashStraightThrough { get; } = new("--hash-straight-through")
    {
        Description = "Score these rows' codes as sign() gives them, the gradient passed straight through to the relaxed codes: off, queries (as pure Hamming matching sees a query) or all",
        DefaultValueFactory = _ => "off",
    };
    public Option<int> HashBetaEpisodes { get; } = new("--hash-beta-episodes")
    {
        Description = "How fast tanh(β·z) sharpens towards sign: β = √(1 + episode / N)",
        DefaultValueFactory = _ => HashTrainingSettings.DefaultBetaEpisodes,
    };
    public Option<int> LshPlanes { get; } = new("--lsh-planes")
    {
        Description = "--loss lsh-sigmoid: random planes of the study's similarity (1/P)·Σ σ(k·(q·w)(s·w + o))",
        DefaultValueFactory = _ => LshSigmoidLossSettings.DefaultPlanes,
    };
    public Option<float> LshSharpness { get; } = new("--lsh-sharpness")
    {
        Description = "--loss lsh-sigmoid: the sigmoid's sharpness k",
        DefaultValueFactory = _ => LshSigmoidLossSettings.DefaultSharpness,
    };
    public Option<bool> LshTrainable { get; } = new("--lsh-trainable") { Description = "--loss lsh-sigmoid: train the planes and offsets with the network (default: fixed, as the study)" };
    public Option<string?> FitHash { get; } = new("--fit-hash")
    {
        Description = "At the end, fit planes of this family (pca, itq), or a codebook (pq, opq: kept beside a hash layer's planes), to the model's embeddings of the training classes and store them in the model",
    };
    public Option<int> FitPlanes { get; } = new("--fit-planes")
    {
        Description = "Planes (or codebook bits) --fit-hash fits",
        DefaultValueFactory = _ => TrainRequest.DefaultFitPlanes,
    };
    public Option<string?> Augment { get; } = new("--augment")
    {
        Description = "Distort every training image at random, within limits such as shift:1,rotate:10,scale:0.1,shear:0.1 (shift in pixels per axis, rotate in degrees, scale a fraction of the size, shear a factor; any subset), about its centre with bilinear resampling; none: off " +
                      $"(default {DatasetRegistry.DescribeDefault(d => d.Augment)})",
    };
    public Option<float> HashBalance { get; } = new("--hash-balance")
    {
        Description = "Weight of the bit-balance term (mean over bits of the batch mean²)",
        DefaultValueFactory = _ => HashTrainingSettings.DefaultBalanceWeight,
    };

    public IEnumerable<Option> All =>
    [
        Data, Split, Ways, Shots, Queries, ImageSize, Loss, Scale, Layers, Filters, Dropout, DropoutAt, BatchNorm, FinalPool, Lr, Schedule, Augment, Episodes, Minutes, Seed, Output,
        ValidationClasses, ValidateEvery, ValidationEpisodes, Checkpoint, CheckpointEvery, Resume, Log, LogEvery, SummaryEpisodes, Threads,
        HashBits, HashCodeLoss, HashQuantisation, HashBalance, HashBetaEpisodes, HashCodeShots, HashCodeScale, HashCodeWeight, HashCodeMargin, HashDecorrelation, HashNormalise, HashStraightThrough, FitHash, FitPlanes, LshPlanes, LshSharpness, LshTrainable,
        .. Source.All, CheckpointPause, EpisodePause, HoldAfterCheckpoint, Device, .. Tracing.All,
    ];

    /// <summary>--dropout-at's value: blocks or embedding.</summary>
    public static Lshk.Nn.DropoutPlacement ParsePlacement(string text) => text.Trim().ToLowerInvariant() switch
    {
        "blocks" => Lshk.Nn.DropoutPlacement.Blocks,
        "embedding" => Lshk.Nn.DropoutPlacement.Embedding,
        _ => throw new UsageException($"--dropout-at must be blocks or embedding (got '{text}')"),
    };

    /// <summary>--final-pool's value as <see cref="FinalPools"/> names it (null when not given: the dataset's default).</summary>
    public static string? ParseFinalPool(string? text) => text is null ? null
        : FinalPools.Normalise(text) ?? throw new UsageException($"--final-pool must be on, off or average (got '{text}')");

    public TrainRequest Read(ParseResult parse) => new(DatasetSpec.Parse(parse.GetValue(Data)!), parse.GetValue(Output)!)
    {
        Split = parse.GetValue(Split),
        Ways = parse.GetValue(Ways),
        Shots = parse.GetValue(Shots),
        Queries = parse.GetValue(Queries),
        ImageSize = parse.GetValue(ImageSize),
        ValidationClasses = parse.GetValue(ValidationClasses),
        Layers = parse.GetValue(Layers),
        Filters = parse.GetValue(Filters),
        Dropout = parse.GetValue(Dropout),
        DropoutAt = ParsePlacement(parse.GetValue(DropoutAt)!),
        BatchNorm = CommonOptions.ParseOnOff(parse.GetValue(BatchNorm)!, "--batch-norm"),
        FinalPool = ParseFinalPool(parse.GetValue(FinalPool)),
        Scale = parse.GetValue(Scale),
        Loss = parse.GetValue(Loss)!,
        LearningRate = parse.GetValue(Lr),
        Schedule = parse.GetValue(Schedule),
        Seed = parse.GetValue(Seed),
        Augment = parse.GetValue(Augment),
        ValidateEvery = parse.GetValue(ValidateEvery),
        ValidationEpisodes = parse.GetValue(ValidationEpisodes),
        Episodes = parse.GetValue(Episodes),
        Minutes = parse.GetValue(Minutes),
        Checkpoint = parse.GetValue(Checkpoint),
        CheckpointEvery = parse.GetValue(CheckpointEvery),
        Resume = parse.GetValue(Resume),
        Log = parse.GetValue(Log),
        LogEvery = parse.GetValue(LogEvery),
        SummaryEpisodes = parse.GetValue(SummaryEpisodes),
        Threads = parse.GetValue(Threads),
        CheckpointPauseMs = parse.GetValue(CheckpointPause),
        EpisodePauseMs = parse.GetValue(EpisodePause),
        HoldAfterCheckpoint = parse.GetValue(HoldAfterCheckpoint),
        HashBits = parse.GetValue(HashBits),
        HashCodeLoss = parse.GetValue(HashCodeLoss)!,
        HashQuantisation = parse.GetValue(HashQuantisation),
        HashBalance = parse.GetValue(HashBalance),
        HashBetaEpisodes = parse.GetValue(HashBetaEpisodes),
        HashCodeShots = parse.GetValue(HashCodeShots),
        HashCodeScale = parse.GetValue(HashCodeScale),
        HashCodeWeight = parse.GetValue(HashCodeWeight),
        HashDecorrelation = parse.GetValue(HashDecorrelation),
        HashCodeMargin = parse.GetValue(HashCodeMargin),
        HashNormalise = parse.GetValue(HashNormalise),
        HashStraightThrough = StraightThroughNames.Parse(parse.GetValue(HashStraightThrough)!)
            ?? throw new UsageException($"--hash-straight-through values are off, queries and all (got '{parse.GetValue(HashStraightThrough)}')"),
        FitHash = parse.GetValue(FitHash),
        FitPlanes = parse.GetValue(FitPlanes),
        LshSigmoid = new LshSigmoidLossSettings(parse.GetValue(LshPlanes), parse.GetValue(LshSharpness), parse.GetValue(LshTrainable)),
    };
}
