using System.Globalization;
using Lshk.Kernels.Nn;
using Lshk.Nn;
using Keys = Lshk.Data.MetadataKeys.Train;
using Lshk.Nn.Optimisers;

namespace Lshk.App.Training;

/// <summary>
/// Everything that decides what a training run computes (the budget aside): network, episodes, loss, optimiser,
/// validation and seed. Stored in the model's metadata as <c>lshk.train.*</c> and in checkpoints, where a resumed run
/// must match it.
/// </summary>
public sealed record TrainSettings(
    string Data,
    ConvNetConfig Network,
    int Ways,
    int Shots,
    int Queries,
    string Loss,
    float LearningRate,
    string Schedule,
    ulong Seed,
    int ValidationClasses,
    int ValidateEvery,
    int ValidationEpisodes)
{
    /// <summary>
    /// The cosine losses' scale (cosines × scale are the softmax's logits): 10 by default; the 2018 study's mean-cosine
    /// loss used 1. Stored and fingerprinted only when not the default, so default runs keep their files and checkpoints.
    /// </summary>
    public float Scale { get; init; } = CosineLoss.DefaultScale;

    private bool DefaultScale => Scale == CosineLoss.DefaultScale;

    /// <summary>The losses this build implements.</summary>
    public static readonly string[] Losses = [.. Lshk.Nn.EpisodeLosses.Names, LshSigmoidLoss.LossName];

    /// <summary>
    /// The class split asked for (<c>--split</c>, lower case); null: the dataset's default. Stored and fingerprinted
    /// only when asked, so default runs keep their files and checkpoints, and evaluation can test a model on the
    /// classes its own split left out.
    /// </summary>
    public string? Split { get; init; }

    /// <summary>Hash-aware training (<c>--hash-bits</c>): a trainable hash layer after the embedding; null when off.</summary>
    public HashTrainingSettings? Hash { get; init; }

    /// <summary>The planes and sharpness of <c>--loss lsh-sigmoid</c> (the study's LSH-in-the-loop loss); null: its defaults.</summary>
    public LshSigmoidLossSettings? LshSigmoid { get; init; }

    /// <summary>
    /// Random affine distortions of every training image (<c>--augment</c>); null: none. Stored and fingerprinted only
    /// when on, so runs without it keep their files and checkpoints.
    /// </summary>
    public Lshk.Data.Imaging.RandomAffine? Augment { get; init; }

    public void Validate()
    {
        Network.Validate();
        if (Ways < 2) throw new SettingException("ways", $"must be at least 2 (got {Ways})");
        if (Shots < 1) throw new SettingException("shots", $"must be positive (got {Shots})");
        if (Queries < 1) throw new SettingException("queries", $"must be positive (got {Queries})");
        if (!Losses.Contains(Loss)) throw new SettingException("loss", $"'{Loss}' is not a loss of this build ({string.Join(", ", Losses)})");
        if (!(Scale > 0f && float.IsFinite(Scale))) throw new SettingException("scale", $"must be a positive number (got {Scale})");
        if (!DefaultScale && Loss == "proto") throw new SettingException("scale", "applies to the cosine losses (matching, cosine-mean), not proto");
        if (!(LearningRate > 0f && float.IsFinite(LearningRate))) throw new SettingException("lr", $"must be a positive number (got {LearningRate})");
        if (ValidationClasses < 0) throw new SettingException("validation-classes", $"must not be negative (got {ValidationClasses})");
        if (ValidateEvery < 0) throw new SettingException("validate-every", $"must not be negative (got {ValidateEvery})");
        if (ValidationEpisodes < 1) throw new SettingException("validation-episodes", $"must be positive (got {ValidationEpisodes})");
        if (Loss == LshSigmoidLoss.LossName)
        {
            if (Hash is not null) throw new SettingException("hash-bits", "trains a hash layer, and the lsh-sigmoid loss trains with planes of its own; use one of the two");
            (LshSigmoid ?? new LshSigmoidLossSettings()).Validate();
        }
        if (Hash is { } hash)
        {
            if (hash.Bits < 1) throw new SettingException("hash-bits", $"must be at least 1 (got {hash.Bits})");
            if (!Lshk.Nn.EpisodeLosses.Names.Contains(hash.CodeLoss)) throw new SettingException("hash-code-loss", $"'{hash.CodeLoss}' is not a loss of this build ({string.Join(", ", Losses)})");
            if (hash.CodeShots < 0 || hash.CodeShots > Shots)
                throw new SettingException("hash-code-shots", $"must be 0 (the episode's shots) to {Shots} (the episode's; got {hash.CodeShots})");
            if (!(hash.CodeScale > 0 && float.IsFinite(hash.CodeScale))) throw new SettingException("hash-code-scale", $"must be a positive number (got {hash.CodeScale})");
            if (hash.CodeScale != CosineLoss.DefaultScale && hash.CodeLoss == "proto")
                throw new SettingException("hash-code-scale", "applies to the cosine code losses (matching, cosine-mean), not proto");
            if (!(hash.CodeWeight > 0 && float.IsFinite(hash.CodeWeight))) throw new SettingException("hash-code-weight", $"must be a positive number (got {hash.CodeWeight})");
            if (!(hash.CodeMargin >= 0 && hash.CodeMargin < 2 && float.IsFinite(hash.CodeMargin)))
                throw new SettingException("hash-code-margin", $"must be a cosine from 0 to below 2 (got {hash.CodeMargin})");
            if (hash.CodeMargin != 0f && hash.CodeLoss != CosineMeanLoss.LossName)
                throw new SettingException("hash-code-margin", $"applies to the cosine-mean code loss, not {hash.CodeLoss}");
            if (!(hash.DecorrelationWeight >= 0 && float.IsFinite(hash.DecorrelationWeight)))
                throw new SettingException("hash-decorrelation", $"must be a non-negative number (got {hash.DecorrelationWeight})");
            hash.Validate();
        }
        CreateSchedule();
    }

    /// <summary>
    /// A cosine schedule over a budget in minutes, before the run has timed itself: the full rate until
    /// <see cref="TrainRunner"/> has run its first <see cref="RunPlan.PaceEpisodes"/> episodes and turns it into
    /// <see cref="MeasuredCosine"/> (the command turns a bare "cosine" with an episode budget into "cosine:N" at once).
    /// </summary>
    public const string BudgetCosine = "cosine";

    /// <summary>Whether the schedule is a cosine over a minutes budget still waiting for the run's pace.</summary>
    public bool AwaitsPace => Schedule.Trim().ToLowerInvariant() == BudgetCosine;

    /// <summary>
    /// The schedule a minutes budget's cosine becomes once the run has timed its first <paramref name="fullRate"/>
    /// episodes: cosine over <paramref name="total"/> episodes (what the budget holds at that pace), those first ones
    /// at the full rate. <c>--episodes TOTAL --lr-schedule cosine:TOTAL:FULLRATE</c> repeats the run exactly.
    /// </summary>
    public static string MeasuredCosine(long total, long fullRate) =>
        string.Create(CultureInfo.InvariantCulture, $"{BudgetCosine}:{total}:{fullRate}");

    /// <summary>
    /// A measured cosine given a new length from episode <paramref name="from"/> on (<see cref="CosineDecay.Retimings"/>):
    /// "cosine:N:K@FROM:TOTAL", one "@FROM:TOTAL" per re-timing. The curve carries on from where it stood, so the rate
    /// does not jump; naming the whole text with <c>--episodes TOTAL</c> repeats the run exactly.
    /// </summary>
    public static string RetimedCosine(string measured, long from, long total) =>
        string.Create(CultureInfo.InvariantCulture, $"{measured}{RetimingMark}{from}:{total}");

    /// <summary>What separates a measured cosine from each of its re-timings.</summary>
    public const char RetimingMark = '@';

    /// <summary>The schedule a <see cref="Fingerprint"/> names (null if none).</summary>
    public static string? ScheduleIn(string fingerprint)
    {
        const string field = "schedule=";
        return fingerprint.Split(';').FirstOrDefault(f => f.StartsWith(field, StringComparison.Ordinal))?[field.Length..];
    }

    /// <summary>
    /// The measured cosine ("cosine:N:K", with any re-timings) that a <see cref="Fingerprint"/> names, or null if it
    /// names another schedule.
    /// </summary>
    public static string? MeasuredCosineIn(string fingerprint) =>
        ScheduleIn(fingerprint) is { } schedule && IsCosine(schedule) && schedule.Split(RetimingMark)[0].Split(':').Length == 3 ? schedule : null;

    /// <summary>Whether a schedule is a cosine of some length (bare, "cosine:N" or "cosine:N:K").</summary>
    public static bool IsCosine(string schedule) => schedule == BudgetCosine || schedule.StartsWith(BudgetCosine + ":", StringComparison.Ordinal);

    /// <summary>The episode a cosine schedule reaches its end (the rate 0) at; null for other schedules.</summary>
    public long? CosineEnd => CreateSchedule() is CosineDecay cosine ? cosine.EndStep : null;

    /// <summary>
    /// The learning-rate schedule: "constant", "step:EVERY:GAMMA" (multiply by GAMMA every EVERY episodes; the
    /// prototypical-networks paper halves every 2000), "cosine:N" (to 0 over N episodes; the command turns a bare
    /// "cosine" into cosine over the episode budget, see <see cref="TrainRequest"/>), "cosine:N:K" (the same with the
    /// first K episodes at the full rate: what a minutes budget's cosine becomes, see <see cref="MeasuredCosine"/>) or
    /// a bare "cosine" (<see cref="BudgetCosine"/>: the full rate until the run has timed itself).
    /// </summary>
    public ILearningRateSchedule CreateSchedule()
    {
        string text = Schedule.Trim().ToLowerInvariant();
        if (text == "constant" || text == BudgetCosine) return new ConstantRate(LearningRate);
        var segments = text.Split(RetimingMark);
        var parts = segments[0].Split(':');
        if (parts[0] == "cosine" && parts.Length is 2 or 3 && Count(parts[1]) is int total and > 0)
        {
            if (parts.Length == 2 && segments.Length == 1) return new CosineDecay(LearningRate, total);
            if (parts.Length == 3 && Count(parts[2]) is int fullRate && fullRate < total && Retimings(segments[1..], fullRate) is { } retimings)
                return new CosineDecay(LearningRate, total) { FullRateSteps = fullRate, Retimings = retimings };
        }
        if (parts.Length == 3 && parts[0] == "step"
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int every) && every > 0
            && float.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out float gamma) && gamma > 0 && gamma <= 1)
            return new StepDecay(LearningRate, every, gamma);
        throw new SettingException("lr-schedule", $"'{Schedule}' is not a schedule (constant, cosine[:EPISODES[:FULL-RATE-EPISODES]], " +
                                                  "a measured cosine with re-timings cosine:EPISODES:FULL-RATE-EPISODES@FROM:EPISODES…, " +
                                                  "or step:EVERY:GAMMA such as step:2000:0.5)");
    }

    // "FROM:TOTAL" re-timings, each from a later episode than the last (and than the full-rate episodes), each ending
    // after it begins; null when one is not.
    private static (int From, int Total)[]? Retimings(string[] texts, int fullRate)
    {
        var retimings = new (int From, int Total)[texts.Length];
        int after = fullRate;
        for (int i = 0; i < texts.Length; i++)
        {
            var parts = texts[i].Split(':');
            if (parts.Length != 2 || Count(parts[0]) is not int from || Count(parts[1]) is not int total || from <= after || total <= from) return null;
            retimings[i] = (from, total);
            after = from;
        }
        return retimings;
    }

    private static int? Count(string text) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;

    /// <summary>lshk.train.* entries of the model metadata (no times or paths: equal runs write equal files).</summary>
    public Dictionary<string, string> ToMetadata(long episodesTrained, double? validationAccuracy)
    {
        var m = new Dictionary<string, string>
        {
            [Keys.Loss] = Loss,
            [Keys.Ways] = Text(Ways),
            [Keys.Shots] = Text(Shots),
            [Keys.Queries] = Text(Queries),
            [Keys.Episodes] = episodesTrained.ToString(CultureInfo.InvariantCulture),
            [Keys.Optimizer] = "adam",
            [Keys.LearningRate] = LearningRate.ToString("R", CultureInfo.InvariantCulture),
            [Keys.Schedule] = Schedule,
            [Keys.Seed] = Seed.ToString(CultureInfo.InvariantCulture),
            [Keys.ValidationClasses] = Text(ValidationClasses),
            [Keys.ValidateEvery] = Text(ValidateEvery),
        };
        if (!DefaultScale) m[Keys.Scale] = Scale.ToString("R", CultureInfo.InvariantCulture);
        if (Split is { } split) m[Keys.Split] = split;
        if (validationAccuracy is { } acc)
            m[Keys.ValidationAccuracy] = acc.ToString("R", CultureInfo.InvariantCulture);
        if (Hash is { } hash) m[Keys.HashTraining] = hash.Describe();
        if (Loss == LshSigmoidLoss.LossName) m[Keys.LshSigmoid] = (LshSigmoid ?? new LshSigmoidLossSettings()).Describe();
        if (Augment is { } augment) m[Keys.Augment] = augment.Describe();
        return m;
    }

    /// <summary>A canonical one-line form, compared when resuming from a checkpoint.</summary>
    public string Fingerprint() =>
        string.Join(";", $"data={Data}", $"network={Network.Describe()}", $"ways={Ways}", $"shots={Shots}", $"queries={Queries}",
            $"loss={Loss}", $"lr={LearningRate.ToString("R", CultureInfo.InvariantCulture)}", $"schedule={Schedule}", $"seed={Seed}",
            $"validation-classes={ValidationClasses}", $"validate-every={ValidateEvery}", $"validation-episodes={ValidationEpisodes}")
        + (Hash is { } hash ? $";hash={hash.Describe()}" : "")
        + (Loss == LshSigmoidLoss.LossName ? $";lsh-sigmoid={(LshSigmoid ?? new LshSigmoidLossSettings()).Describe()}" : "")
        + (DefaultScale ? "" : $";scale={Scale.ToString("R", CultureInfo.InvariantCulture)}")
        + (Split is { } split ? $";split={split}" : "")
        + (Augment is { } augment ? $";augment={augment.Describe()}" : "");

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
