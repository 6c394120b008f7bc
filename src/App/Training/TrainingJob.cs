using System.Diagnostics;
using Lshk.App.Evaluation;
using Lshk.App.Modeling;
using Lshk.Data;
using Lshk.Data.Datasets;
using Lshk.Data.Imaging;
using Lshk.Data.Sources;
using Lshk.Kernels;
using Lshk.Kernels.Nn;
using Lshk.Nn;

namespace Lshk.App.Training;

/// <summary>What a training job ends with: the best validation (when validated), its length, and the final summary.</summary>
public sealed record TrainOutcome(long Episodes, double Seconds, double? BestScore, long BestEpisode, string Model,
    EvaluationResult? Summary, string SummaryNote);

/// <summary>
/// <c>lshk train</c>'s work: loads the dataset's training, validation and test classes, trains the embedding network on
/// episodes (<see cref="TrainRunner"/>: validation keeps the best model, checkpoints allow an exact resume), then
/// scores the saved model on the test classes, cosine against Hamming LSH.
/// </summary>
public static class TrainingJob
{
    /// <summary>Validation tasks: 5- and 20-way 1-shot, the standard Omniglot test shapes.</summary>
    private static readonly (int Ways, int Shots)[] ValidationTasks = [(5, 1), (20, 1)];
    /// <summary>Fewest validation classes that make a 5-way task.</summary>
    private const int MinValidationClasses = 5;
    private const int ValidationQueries = 15;
    /// <summary>Mixed into the seed so validation episodes differ from training episodes ("VALI").</summary>
    private const ulong ValidationSeedSalt = 0x56414C49UL;

    public static TrainOutcome Run(TrainRequest request, IComputeBackend backend, DatasetLoader loader, ITrainReporter reporter)
    {
        var (settings, episodeBudget, minuteBudget) = Settings(request);
        var fitFamily = FitFamily(request, settings);
        string outPath = Path.GetFullPath(request.Output);
        string? outFolder = Path.GetDirectoryName(outPath);
        if (outFolder is not null && !Directory.Exists(outFolder)) throw new DirectoryNotFoundException($"{request.Output}: cannot write: the folder {outFolder} does not exist");
        string? checkpointPath = request.CheckpointEvery > 0 || request.Resume ? CheckpointPath(request.Checkpoint, outPath) : null;

        var watch = Stopwatch.StartNew();
        var spec = request.Data;
        var few = loader.LoadFewShot(spec, new PreprocessSettings(settings.Network.InputSize),
            new SplitOptions(settings.Split, settings.ValidationClasses, settings.Seed));
        var train = few.Train ?? throw new Lshk.Core.InputException($"{spec}: the split '{few.Split}' leaves no training classes");
        var network = settings.Network with { InputChannels = train.Channels };
        settings = settings with { Network = network };
        reporter.Message($"data: {spec} ({few.Split}); train {train.ClassCount} classes / {train.Count} images, " +
                         $"validation {few.Validation?.ClassCount ?? 0} classes, test {few.Test.ClassCount} classes; loaded in {watch.Elapsed.TotalSeconds:F1} s");

        using var ops = NnOps.For(backend, request.Threads);
        using var run = new EpisodeTraining(ops, settings, train);
        reporter.Message($"device: {ops.Device.Name}; network: {network.Describe()}");
        if (settings.Hash is { } hash)
            reporter.Message($"hash-aware training: {hash.Bits}-bit hash layer, codes scored by {hash.CodeLoss}" +
                             (hash.CodeShots == HashTrainingSettings.EpisodeShots ? "" : $" on {hash.CodeShots}-shot views of the episodes") +
                             (hash.CodeScale == Lshk.Kernels.Nn.CosineLoss.DefaultScale ? "" : $" at scale {hash.CodeScale}") +
                             (hash.CodeMargin == 0f ? "" : $" with a margin of {hash.CodeMargin} in cosine") +
                             (hash.CodeWeight == HashTrainingSettings.DefaultCodeWeight ? "" : $", weighted {hash.CodeWeight} against the embedding loss") +
                             (hash.Normalise ? ", projections divided by their RMS over the episode" : "") +
                             (hash.StraightThrough == StraightThrough.Off ? "" : $", {hash.StraightThrough.Name()} scored as sign() codes (straight-through)") +
                             $", quantisation weight {hash.QuantisationWeight}, " +
                             (hash.DecorrelationWeight == 0f ? "" : $"bit-decorrelation weight {hash.DecorrelationWeight}, ") +
                             $"bit-balance weight {hash.BalanceWeight}, β = √(1 + episode/{hash.BetaEpisodes}); the planes are saved with the model as family 'learned'");
        if (settings.Augment is { } augment)
            reporter.Message($"augmentation: every training image distorted at random within {augment.Describe()} (shift in pixels, rotate in degrees)");
        string schedule = settings.AwaitsPace
            ? $"cosine over the time budget, its length set at the pace of the first {RunPlan.DefaultPaceEpisodes} episodes and re-timed " +
              $"{RunPlan.RetimingFractions.Length} times"
            : settings.Schedule;
        reporter.Message($"episodes: {settings.Ways}-way {settings.Shots}-shot {settings.Queries}-query ({run.BatchImages} images per step), loss {settings.Loss}, " +
                         $"Adam lr {settings.LearningRate} ({schedule}), seed {settings.Seed}; budget " +
                         string.Join(" or ", new[] { episodeBudget is { } e ? $"{e} episodes" : null, minuteBudget is { } m ? $"{m} minutes" : null }.Where(s => s is not null)));

        var validation = Validation(few.Validation, settings);
        if (validation is null)
            reporter.Message(settings.ValidateEvery == 0 ? "validation: off (validating every 0 episodes); the final model is kept"
                : $"validation: off (fewer than {MinValidationClasses} validation classes); the final model is kept");
        var plan = new RunPlan(outPath, episodeBudget, minuteBudget, checkpointPath, request.CheckpointEvery, request.Resume,
            request.LogEvery, spec.Id, new ImagePreprocessing(network.InputSize, network.InputChannels, spec.Kind.InvertsImages),
            request.CheckpointPauseMs, request.EpisodePauseMs, HoldAfterCheckpoint: request.HoldAfterCheckpoint);
        using var csv = request.Log is { } logPath
            ? new TrainLog(logPath, validation?.Tasks.Select(t => t.Name).ToArray() ?? [], request.Resume && checkpointPath is not null ? Checkpoint.EpisodeOf(checkpointPath) : 0)
            : null;

        var runner = new TrainRunner(run, plan, validation, backend, reporter, csv);
        reporter.Train(runner.Run);
        reporter.Message($"trained {run.Episode} episodes in {runner.TrainingSeconds:F1} s ({runner.TrainingSeconds / Math.Max(1, run.Episode):F3} s/episode); " +
                         (runner.BestScore is { } best ? $"best validation {best:P2} at episode {runner.BestEpisode}; " : "") + $"model: {outPath}");

        if (fitFamily is not null) FitPlanes(backend, outPath, train, fitFamily, request.FitPlanes, settings.Seed, reporter);

        var (summary, note) = request.SummaryEpisodes > 0 ? Summarise(backend, outPath, few.Test, request.SummaryEpisodes, settings.Seed) : (null, "");
        return new TrainOutcome(run.Episode, runner.TrainingSeconds, runner.BestScore, runner.BestEpisode, outPath, summary, note);
    }

    /// <summary>
    /// The seeded episodes a run validates on (the same for every checkpoint, so their scores compare), or null when
    /// validation is off or there are too few validation classes.
    /// </summary>
    public static FewShotTasks? Validation(Dataset? classes, TrainSettings settings) =>
        classes is { ClassCount: >= MinValidationClasses } && settings.ValidateEvery > 0
            ? new FewShotTasks(classes, ValidationTasks, settings.ValidationEpisodes, ValidationQueries, settings.Seed ^ ValidationSeedSalt)
            : null;

    /// <summary>The request's settings with the dataset's defaults filled in, checked, and the budget.</summary>
    public static (TrainSettings Settings, long? Episodes, double? Minutes) Settings(TrainRequest r)
    {
        if (r.Episodes is <= 0) throw new SettingException("episodes", $"must be positive (got {r.Episodes})");
        if (r.Minutes is { } given && !(given > 0 && double.IsFinite(given))) throw new SettingException("minutes", $"must be positive (got {given})");
        if (r.LogEvery < 1) throw new SettingException("log-every", $"must be positive (got {r.LogEvery})");
        if (r.CheckpointEvery < 0) throw new SettingException("checkpoint-every", $"must not be negative (got {r.CheckpointEvery})");
        if (r.SummaryEpisodes < 0) throw new SettingException("summary-episodes", $"must not be negative (got {r.SummaryEpisodes})");
        if (r.Threads < 0) throw new SettingException("threads", $"must not be negative (got {r.Threads})");
        double? minutes = r.Episodes is null && r.Minutes is null ? TrainRequest.DefaultMinutes : r.Minutes;
        var d = r.Data.Kind.Defaults;
        string schedule = (r.Schedule ?? d.Schedule).Trim().ToLowerInvariant();
        // A bare cosine runs over the budget: an episode budget gives its length now; a minutes budget alone leaves it
        // to the run, which times its first episodes (TrainRunner).
        if (schedule == TrainSettings.BudgetCosine && r.Episodes is { } n) schedule = $"cosine:{n}";
        float dropout = r.Dropout ?? (r.DropoutAt == DropoutPlacement.Embedding ? TrainRequest.StudyEmbeddingDropout : 0f);
        var (finalPool, globalAverage) = FinalPools.Parse(r.FinalPool ?? d.FinalPool);
        var network = new ConvNetConfig(r.Layers, r.Filters ?? d.Filters, dropout, InputSize: r.ImageSize ?? d.ImageSize, BatchNorm: r.BatchNorm, DropoutAt: r.DropoutAt,
            FinalPool: finalPool, GlobalAverage: globalAverage);
        var settings = new TrainSettings(r.Data.Id, network,
            r.Ways ?? d.Ways, r.Shots ?? d.Shots, r.Queries ?? d.Queries, r.Loss.Trim().ToLowerInvariant(), r.LearningRate, schedule, r.Seed,
            r.ValidationClasses ?? d.ValidationClasses, r.ValidateEvery, r.ValidationEpisodes)
        {
            Hash = HashBits(r, d) is > 0 and var bits
                ? new HashTrainingSettings(bits, r.HashCodeLoss.Trim().ToLowerInvariant(), r.HashQuantisation, r.HashBalance, r.HashBetaEpisodes,
                    r.HashCodeShots, r.HashCodeScale ?? Lshk.Kernels.Nn.CosineLoss.DefaultScale, r.HashNormalise,
                    r.HashStraightThrough, r.HashCodeWeight ?? d.HashCodeWeight, r.HashDecorrelation, CodeMargin(r, d))
                : null,
            LshSigmoid = r.Loss.Trim().ToLowerInvariant() == LshSigmoidLoss.LossName ? r.LshSigmoid : null,
            Scale = r.Scale ?? Lshk.Kernels.Nn.CosineLoss.DefaultScale,
            Split = r.Split?.Trim().ToLowerInvariant(),
            Augment = ParseAugment(r.Augment ?? d.Augment),
        };
        settings.Validate();
        return (settings, r.Episodes, minutes);
    }

    private static Lshk.Data.Imaging.RandomAffine? ParseAugment(string text)
    {
        try { return Lshk.Data.Imaging.RandomAffine.Parse(text); }
        catch (FormatException e) { throw new SettingException("augment", $"'{text}': {e.Message}"); }
    }

    /// <summary>
    /// The hash layer's bits: as asked (0: none), else the dataset's default unless the run asks for something a hash
    /// layer excludes (the lsh-sigmoid loss, planes fitted at the end; a codebook fitted at the end sits beside it).
    /// </summary>
    private static int HashBits(TrainRequest r, TrainingDefaults d)
    {
        if (r.HashBits is { } asked)
            return asked >= 0 ? asked : throw new SettingException("hash-bits", $"must be 0 (no hash layer) or more (got {asked})");
        bool fitsPlanes = r.FitHash is { } name && Lshk.Lsh.HashFamilies.Find(name)?.Kind != Lshk.Lsh.HashFamilyKind.Codebook;
        bool excluded = r.Loss.Trim().ToLowerInvariant() == LshSigmoidLoss.LossName || fitsPlanes;
        return excluded ? 0 : d.HashBits;
    }

    /// <summary>
    /// The code loss's margin: as asked, else the dataset's where the code loss is cosine-mean (the margin's loss) and
    /// none otherwise, so asking for another code loss does not also need --hash-code-margin 0.
    /// </summary>
    private static float CodeMargin(TrainRequest r, TrainingDefaults d) =>
        r.HashCodeMargin ?? (r.HashCodeLoss.Trim().ToLowerInvariant() == CosineMeanLoss.LossName ? d.HashCodeMargin : 0f);

    /// <summary>The family <c>--fit-hash</c> names, checked before any training (null when not asked for).</summary>
    private static Lshk.Lsh.IHashFamily? FitFamily(TrainRequest request, TrainSettings settings)
    {
        if (request.FitHash is not { } name) return null;
        var family = Lshk.Lsh.HashFamilies.Get(name);
        if (family.Kind is not (Lshk.Lsh.HashFamilyKind.Fitted or Lshk.Lsh.HashFamilyKind.Codebook))
            throw new SettingException("fit-hash", $"'{family.Name}' planes are {Lshk.Lsh.HashFamilies.Describe(family.Kind)}; only fitted families (pca, itq) and codebooks (pq, opq) are fitted at the end of training");
        if (request.FitPlanes < 1) throw new SettingException("fit-planes", $"must be at least 1 (got {request.FitPlanes})");
        // A codebook is kept beside the planes, so it goes with hash-aware training; fitted planes would replace them.
        if (settings.Hash is not null && family.Kind == Lshk.Lsh.HashFamilyKind.Fitted)
            throw new SettingException("fit-hash", "a model stores one set of planes, and hash-aware training already trains them; fit other planes afterwards into another model file");
        return family;
    }

    /// <summary>
    /// Fits planes to the saved model's embeddings of the training classes (never the validation or test classes) and
    /// stores them in the model file, replaced atomically.
    /// </summary>
    private static void FitPlanes(IComputeBackend backend, string modelPath, Dataset train, Lshk.Lsh.IHashFamily family, int planes, ulong seed,
        ITrainReporter reporter)
    {
        var watch = Stopwatch.StartNew();
        using var embedder = Embedder.Load(modelPath, backend);
        string what = null!;
        AtomicFile.Write(modelPath, s => what = ModelCodebooks.FitEither(embedder, train, family, planes, seed, s));
        reporter.Message($"fitted {what} to {train.Count} images of {train.ClassCount} training classes " +
                         $"in {watch.Elapsed.TotalSeconds:F1} s and stored it in {modelPath}");
    }

    /// <summary>The checkpoint as given (a folder gets OUT-NAME.ckpt inside), or OUT.ckpt.</summary>
    private static string CheckpointPath(string? given, string outPath)
    {
        if (given is null) return outPath + ".ckpt";
        if (Directory.Exists(given) || given.EndsWith('/') || given.EndsWith(Path.DirectorySeparatorChar))
        {
            Directory.CreateDirectory(given);
            return Path.GetFullPath(Path.Combine(given, Path.GetFileName(outPath) + ".ckpt"));
        }
        return Path.GetFullPath(given);
    }

    /// <summary>
    /// The saved model on the test classes, cosine against Hamming LSH (Gaussian planes, centred on the supports) at
    /// 16–128 planes, 5- and 20-way 1-shot (<see cref="EvaluationGrid.TrainingSummary"/>).
    /// </summary>
    private static (EvaluationResult? Result, string Note) Summarise(IComputeBackend backend, string modelPath, Dataset test, int episodes, ulong seed)
    {
        var watch = Stopwatch.StartNew();
        var grid = EvaluationGrid.TrainingSummary(episodes, seed);
        grid = grid with { Ways = grid.Ways.Where(w => w <= test.ClassCount).ToArray() };
        if (grid.Ways.Length == 0) return (null, $"summary: skipped ({test.Source} has only {test.ClassCount} classes)");
        using var embedder = Embedder.Load(modelPath, backend);
        // A hash-trained model also shows its own planes (at the length it was trained at), by Hamming and asymmetric scores.
        var stored = ModelPlanes.Of(embedder);
        bool learned = stored?.Family.Kind == Lshk.Lsh.HashFamilyKind.Trained;
        if (learned)
            grid = grid with { Families = [.. grid.Families, stored!.Family], Methods = [.. grid.Methods, Lshk.Lsh.MatchMethod.Asymmetric] };
        var result = EvaluationRunner.Run(embedder.Embed(test), embedder.Dim, test, grid, backend, stored: stored);
        return (result, $"summary on {test.Source}: {episodes} episodes per task, {grid.Queries} queries per class, " +
                        $"accuracy % ± 95% CI; LSH on centred embeddings{(learned ? $", and the model's {stored!.Count} learned planes" : "")} ({watch.Elapsed.TotalSeconds:F1} s)");
    }
}
