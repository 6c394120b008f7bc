using System.Diagnostics;
using Lshk.App.Modeling;
using Lshk.Data;
using Lshk.Data.Imaging;
using Lshk.Kernels;
using Lshk.Nn.ModelFiles;

namespace Lshk.App.Training;

/// <summary>Where a run writes and how often: everything besides <see cref="TrainSettings"/> that the loop needs.</summary>
public sealed record RunPlan(
    string Output,
    long? Episodes,
    double? Minutes,
    string? CheckpointPath,
    int CheckpointEvery,
    bool Resume,
    int LogEvery,
    string DataName,
    ImagePreprocessing Preprocessing,
    int CheckpointPauseMs = 0,
    int EpisodePauseMs = 0,
    int PaceEpisodes = RunPlan.DefaultPaceEpisodes)
{
    /// <summary>
    /// Episodes a minutes budget's cosine schedule times before it sets its length (at the full rate meanwhile): 3–6 %
    /// of a 12-minute Omniglot run, enough to average out the slower first episodes. Later validations are not in the
    /// pace; their seconds come off the end, where the rate is near 0.
    /// </summary>
    public const int DefaultPaceEpisodes = 200;
}

/// <summary>What a run tells the user: progress after every episode, lines at intervals, and messages.</summary>
public interface ITrainReporter
{
    /// <summary>After each episode: episodes done, the budget's fraction done (0…1), the last loss and accuracy.</summary>
    void Episode(long episode, double fraction, float loss, float accuracy, double imagesPerSecond);

    void Interval(IntervalStats stats, long? totalEpisodes, double etaSeconds);

    void Message(string text);

    /// <summary>Runs the training loop; a reporter that shows a live display wraps the loop in it.</summary>
    void Train(Action loop) => loop();
}

/// <summary>
/// The training loop: steps through episodes until the budget is spent, validating every N episodes (keeping the
/// best model in the output file), logging intervals, and checkpointing; resumes from a checkpoint when asked.
/// </summary>
public sealed class TrainRunner(EpisodeTraining run, RunPlan plan, FewShotTasks? validation, IComputeBackend backend, ITrainReporter reporter, TrainLog? log)
{
    /// <summary>The best validation score (mean accuracy over the validation tasks) and its episode, when validated.</summary>
    public double? BestScore { get; private set; }
    public long BestEpisode { get; private set; }
    public double TrainingSeconds { get; private set; }

    public void Run()
    {
        var settings = run.Settings;
        bool pacing = settings.AwaitsPace;
        double spent = 0;
        if (plan.Resume && plan.CheckpointPath is { } ckpt)
        {
            int stale = Checkpoint.RemoveStaleTemporaries(ckpt) + Checkpoint.RemoveStaleTemporaries(plan.Output);
            if (stale > 0) reporter.Message($"removed {stale} unfinished temporary file(s) of an interrupted run");
            if (File.Exists(ckpt))
            {
                var progress = Checkpoint.Restore(ckpt, run);
                (BestScore, BestEpisode, spent) = (progress.BestScore, progress.BestEpisode, progress.TrainingSeconds);
                reporter.Message($"resumed from {ckpt} at episode {run.Episode}" + (BestScore is { } b ? $" (best validation {b:P2} at episode {BestEpisode})" : ""));
            }
            else
            {
                reporter.Message($"no checkpoint at {ckpt} yet: starting from the beginning");
            }
        }
        bool validating = validation is not null && settings.ValidateEvery > 0;
        long target = plan.Episodes ?? long.MaxValue;
        double budgetSeconds = plan.Minutes is { } m ? m * 60 : double.PositiveInfinity;
        // A minutes budget's cosine that had timed itself before the checkpoint ends where it measured.
        if (pacing && run.Settings.CosineEnd is { } measuredEnd) target = Math.Min(target, measuredEnd);
        bool awaitingPace = run.Settings.AwaitsPace && !double.IsInfinity(budgetSeconds);

        var clock = Stopwatch.StartNew();
        var intervalClock = Stopwatch.StartNew();
        double lossSum = 0, accuracySum = 0;
        int intervalEpisodes = 0;
        long startEpisode = run.Episode;
        double[]? lastValidation = null;
        bool last = run.Episode >= target || spent >= budgetSeconds;
        while (!last)
        {
            float lr = run.Optimiser.LearningRate;
            var (loss, accuracy) = run.Step();
            if (plan.EpisodePauseMs > 0) Thread.Sleep(plan.EpisodePauseMs); // test hook: a slow run, to kill between checkpoints
            if (!float.IsFinite(loss)) throw new Lshk.Core.InputException($"training diverged at episode {run.Episode} (loss {loss}); try a lower learning rate");
            lossSum += loss;
            accuracySum += accuracy;
            intervalEpisodes++;
            long e = run.Episode;
            double elapsed = clock.Elapsed.TotalSeconds;
            double rate = (e - startEpisode) * run.BatchImages / Math.Max(elapsed, 1e-9);
            if (awaitingPace && e >= plan.PaceEpisodes)
            {
                target = Math.Min(target, SetCosineLength(e, spent + clock.Elapsed.TotalSeconds, budgetSeconds));
                awaitingPace = run.Settings.AwaitsPace;
            }
            reporter.Episode(e, Fraction(e, spent + elapsed, target, budgetSeconds), loss, accuracy, rate);

            last = e >= target || spent + clock.Elapsed.TotalSeconds >= budgetSeconds;
            if (validating && (e % settings.ValidateEvery == 0 || last)) lastValidation = Validate(e); // the final model competes too
            if (e % plan.LogEvery == 0 || last)
            {
                double seconds = intervalClock.Elapsed.TotalSeconds;
                var stats = new IntervalStats(e, spent + clock.Elapsed.TotalSeconds, lr, lossSum / intervalEpisodes, accuracySum / intervalEpisodes,
                    intervalEpisodes * run.BatchImages / Math.Max(seconds, 1e-9), lastValidation);
                double perEpisode = seconds / intervalEpisodes;
                double eta = Math.Min(plan.Episodes is { } n ? (n - e) * perEpisode : double.PositiveInfinity, budgetSeconds - spent - clock.Elapsed.TotalSeconds);
                reporter.Interval(stats, plan.Episodes, eta);
                log?.Write(stats);
                (lossSum, accuracySum, intervalEpisodes, lastValidation) = (0, 0, 0, null);
                intervalClock.Restart();
            }
            // The last episode is checkpointed too: --resume with a larger budget then extends a finished run exactly
            // (a 1,000-episode screen grows into the full run without repeating its episodes).
            if (plan.CheckpointPath is { } path && plan.CheckpointEvery > 0 && (e % plan.CheckpointEvery == 0 || last))
            {
                var bytes = Checkpoint.Serialize(run, new RunProgress(e, BestScore, BestEpisode, spent + clock.Elapsed.TotalSeconds));
                Checkpoint.Write(path, bytes, plan.CheckpointPauseMs, () => reporter.Message($"checkpoint: writing episode {e} to {path}"));
                reporter.Message($"checkpoint: saved episode {e} to {path}");
            }
        }
        TrainingSeconds = spent + clock.Elapsed.TotalSeconds;

        if (!validating)
        {
            SaveModel(null);
            reporter.Message($"saved the final model (episode {run.Episode}) to {plan.Output}");
        }
    }

    /// <summary>
    /// Gives a minutes budget's cosine schedule its length: the episodes the budget holds at the pace of the first
    /// <paramref name="episode"/> (the run then ends there, or when the time is up if it slows down; either way with the
    /// rate near 0). Returns that length, or no limit when the budget is already spent.
    /// </summary>
    private long SetCosineLength(long episode, double seconds, double budgetSeconds)
    {
        double perEpisode = seconds / episode;
        long total = (long)Math.Min(int.MaxValue, episode + Math.Floor((budgetSeconds - seconds) / perEpisode));
        if (total <= episode) return long.MaxValue;
        run.UseSchedule(TrainSettings.MeasuredCosine(total, episode));
        reporter.Message($"lr schedule: cosine over {total} episodes, what the {budgetSeconds / 60:0.##}-minute budget holds at the pace of " +
                         $"the first {episode} ({perEpisode:F3} s/episode); the run ends there, or sooner if it slows down " +
                         $"(a budget of {total} episodes with the schedule {run.Settings.Schedule} repeats it exactly)");
        return total;
    }

    private static double Fraction(long episode, double seconds, long target, double budgetSeconds) =>
        Math.Clamp(Math.Max(target == long.MaxValue ? 0 : (double)episode / target, double.IsInfinity(budgetSeconds) ? 0 : seconds / budgetSeconds), 0, 1);

    /// <summary>Scores the current network on the validation episodes; saves it as the output when it is the best so far.</summary>
    private double[] Validate(long episode)
    {
        var config = run.Settings.Network;
        using var embedder = Embedder.ForNetwork(run.Network, config, run.Ops);
        double[] accuracies = validation!.CosineAccuracy(backend, embedder.Embed(validation.Data), config.EmbeddingDim);
        double score = accuracies.Average();
        bool better = BestScore is not { } best || score > best;
        string detail = string.Join(", ", validation.Tasks.Select((t, i) => $"{t.Name} {accuracies[i]:P2}"));
        if (better)
        {
            (BestScore, BestEpisode) = (score, episode);
            SaveModel(score);
        }
        reporter.Message($"validation at episode {episode}: {detail}" + (better ? $" (best so far: saved to {plan.Output})" : $" (best: {BestScore:P2} at episode {BestEpisode})"));
        return accuracies;
    }

    private void SaveModel(double? score)
    {
        var metadata = plan.Preprocessing.ToMetadata();
        metadata[MetadataKeys.Data] = plan.DataName;
        foreach (var (key, value) in run.Settings.ToMetadata(run.Episode, score)) metadata[key] = value;
        var planes = run.Planes();
        if (planes is not null)
        {
            // The planes trained with the network (hash layer, or the lsh-sigmoid loss's) are stored as the 'learned'
            // family, used by eval, enroll and classify.
            metadata[MetadataKeys.Hash.Family] = Lshk.Lsh.Families.LearnedPlanes.FamilyName;
            metadata[MetadataKeys.Hash.Seed] = run.Settings.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture);
            metadata[MetadataKeys.Hash.FittedOn] = $"trained with the network on the training classes of {plan.DataName}";
        }
        AtomicFile.Write(plan.Output, s => ModelFile.Save(s, run.Network, run.Settings.Network, metadata, planes));
    }
}
