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
    int PaceEpisodes = RunPlan.DefaultPaceEpisodes,
    long PausedEpisodes = long.MaxValue,
    long HoldAfterCheckpoint = 0)
{
    /// <summary>
    /// How long a run waits after saving the checkpoint of <see cref="HoldAfterCheckpoint"/> (a test hook): a test kills
    /// it there, so the checkpoint it finds is that one however late the kill comes on a loaded machine.
    /// </summary>
    public const int CheckpointHoldMs = 120_000;

    /// <summary>
    /// Episodes a minutes budget's cosine schedule times before it sets its length (at the full rate meanwhile): 3–6 %
    /// of a 12-minute Omniglot run. The first episodes are slower (the JIT) and validations are not in this first
    /// pace: the <see cref="RetimingFractions"/> correct it.
    /// </summary>
    public const int DefaultPaceEpisodes = 200;

    /// <summary>
    /// Fractions of a minutes budget (by time or by the cosine's episodes, whichever is further) at which its cosine
    /// re-times itself from the pace since the last timing (this machine's pace can change four-fold within a run,
    /// and validations take time the first timing did not see), so the run ends on time with the rate near 0. Few, so
    /// the schedule's text stays short.
    /// </summary>
    public static readonly double[] RetimingFractions = [0.25, 0.5, 0.75, 0.9];

    /// <summary>A re-timing that would move the end by less than this fraction of it is skipped.</summary>
    public const double RetimingTolerance = 0.005;
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
        // Re-timings still to come (a resumed run skips those its budget has passed), and where the pace is timed from.
        int retiming = pacing && !double.IsInfinity(budgetSeconds)
            ? RunPlan.RetimingFractions.Count(f => f <= Fraction(run.Episode, spent, target, budgetSeconds))
            : RunPlan.RetimingFractions.Length;
        (long Episode, double Seconds) paceFrom = (run.Episode, spent);

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
            // Test hooks: a slow run, to kill between checkpoints; or slow first episodes, to make the pace change.
            if (plan.EpisodePauseMs > 0 && run.Episode <= plan.PausedEpisodes) Thread.Sleep(plan.EpisodePauseMs);
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
                paceFrom = (e, spent + clock.Elapsed.TotalSeconds);
            }
            else if (!awaitingPace && retiming < RunPlan.RetimingFractions.Length
                     && Fraction(e, spent + clock.Elapsed.TotalSeconds, target, budgetSeconds) >= RunPlan.RetimingFractions[retiming])
            {
                // The way done by time or by episodes, whichever is further: a run whose pace quickened reaches its
                // first length before the time fractions, and is re-timed on the way there.
                double now = spent + clock.Elapsed.TotalSeconds;
                // Too few episodes since the last timing to time them: this fraction passes, the next one times more.
                if (e - paceFrom.Episode >= plan.PaceEpisodes && Retime(e, now, paceFrom, budgetSeconds) is { } end)
                {
                    target = Math.Min(plan.Episodes ?? long.MaxValue, end);
                    paceFrom = (e, now);
                }
                retiming++;
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
                if (e == plan.HoldAfterCheckpoint) Thread.Sleep(RunPlan.CheckpointHoldMs);
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
    /// <paramref name="episode"/> (until <see cref="Retime"/> corrects it; the run ends there, or when the time is up).
    /// Returns that length, or no limit when the budget is already spent.
    /// </summary>
    private long SetCosineLength(long episode, double seconds, double budgetSeconds)
    {
        double perEpisode = seconds / episode;
        long total = (long)Math.Min(int.MaxValue, episode + Math.Floor((budgetSeconds - seconds) / perEpisode));
        if (total <= episode) return long.MaxValue;
        run.UseSchedule(TrainSettings.MeasuredCosine(total, episode));
        reporter.Message($"lr schedule: cosine over {total} episodes, what the {budgetSeconds / 60:0.##}-minute budget holds at the pace of " +
                         $"the first {episode} ({perEpisode:F3} s/episode), re-timed at {Percentages(RunPlan.RetimingFractions)} of the budget " +
                         $"(until it is re-timed, a budget of {total} episodes with the schedule {run.Settings.Schedule} repeats it exactly)");
        return total;
    }

    /// <summary>
    /// Gives a minutes budget's measured cosine a new end at the pace since <paramref name="from"/> (validations
    /// included), carrying the curve on from where it stands; returns the new end, or null when it would move by less
    /// than <see cref="RunPlan.RetimingTolerance"/> or the budget is spent.
    /// </summary>
    private long? Retime(long episode, double seconds, (long Episode, double Seconds) from, double budgetSeconds)
    {
        double perEpisode = (seconds - from.Seconds) / (episode - from.Episode);
        long end = (long)Math.Min(int.MaxValue, episode + Math.Floor((budgetSeconds - seconds) / perEpisode));
        long current = run.Settings.CosineEnd ?? end;
        if (end <= episode || Math.Abs(end - current) <= RunPlan.RetimingTolerance * current) return null;
        run.UseSchedule(TrainSettings.RetimedCosine(run.Settings.Schedule, episode, end));
        reporter.Message($"lr schedule: re-timed at episode {episode} ({seconds / budgetSeconds:P0} of the budget) at the pace since episode " +
                         $"{from.Episode} ({perEpisode:F3} s/episode): the cosine now ends at episode {end} instead of {current}, carrying on from " +
                         $"where it stands (a budget of {end} episodes with the schedule {run.Settings.Schedule} repeats it exactly)");
        return end;
    }

    private static string Percentages(double[] fractions) =>
        string.Join(", ", fractions[..^1].Select(f => $"{f * 100:0}")) + $" and {fractions[^1] * 100:0} %";

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
