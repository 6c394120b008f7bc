using System.Globalization;
using Lshk.Nn;
using Lshk.Nn.Optimisers;

namespace Lshk.Cli.Training;

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
    /// <summary>The losses this build implements.</summary>
    public static readonly string[] Losses = Lshk.Nn.EpisodeLosses.Names;

    public void Validate()
    {
        Network.Validate();
        Kernels.Check.Positive(Ways, "--ways");
        Kernels.Check.Positive(Shots, "--shots");
        Kernels.Check.Positive(Queries, "--queries");
        if (Ways < 2) throw new ArgumentException($"--ways must be at least 2 (got {Ways})");
        if (!Losses.Contains(Loss)) throw new ArgumentException($"unknown --loss '{Loss}' (this build has: {string.Join(", ", Losses)})");
        if (!(LearningRate > 0f && float.IsFinite(LearningRate))) throw new ArgumentException($"--lr must be a positive number (got {LearningRate})");
        Kernels.Check.NonNegative(ValidationClasses, "--validation-classes");
        Kernels.Check.NonNegative(ValidateEvery, "--validate-every");
        Kernels.Check.Positive(ValidationEpisodes, "--validation-episodes");
        CreateSchedule();
    }

    /// <summary>
    /// The learning-rate schedule: "constant", "step:EVERY:GAMMA" (multiply by GAMMA every EVERY episodes; the
    /// prototypical-networks paper halves every 2000) or "cosine:N" (to 0 over N episodes; the command turns a bare
    /// "cosine" into cosine over the --episodes budget).
    /// </summary>
    public ILearningRateSchedule CreateSchedule()
    {
        string text = Schedule.Trim().ToLowerInvariant();
        if (text == "constant") return new ConstantRate(LearningRate);
        var parts = text.Split(':');
        if (parts.Length == 2 && parts[0] == "cosine" && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int total) && total > 0)
            return new CosineDecay(LearningRate, total);
        if (parts.Length == 3 && parts[0] == "step"
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int every) && every > 0
            && float.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out float gamma) && gamma > 0 && gamma <= 1)
            return new StepDecay(LearningRate, every, gamma);
        throw new ArgumentException($"bad --lr-schedule '{Schedule}' (constant, cosine[:EPISODES], or step:EVERY:GAMMA such as step:2000:0.5)");
    }

    /// <summary>lshk.train.* entries of the model metadata (no times or paths: equal runs write equal files).</summary>
    public Dictionary<string, string> ToMetadata(long episodesTrained, double? validationAccuracy)
    {
        var m = new Dictionary<string, string>
        {
            ["lshk.train.loss"] = Loss,
            ["lshk.train.ways"] = Text(Ways),
            ["lshk.train.shots"] = Text(Shots),
            ["lshk.train.queries"] = Text(Queries),
            ["lshk.train.episodes"] = episodesTrained.ToString(CultureInfo.InvariantCulture),
            ["lshk.train.optimizer"] = "adam",
            ["lshk.train.lr"] = LearningRate.ToString("R", CultureInfo.InvariantCulture),
            ["lshk.train.lr_schedule"] = Schedule,
            ["lshk.train.seed"] = Seed.ToString(CultureInfo.InvariantCulture),
            ["lshk.train.validation_classes"] = Text(ValidationClasses),
            ["lshk.train.validate_every"] = Text(ValidateEvery),
        };
        if (validationAccuracy is { } acc)
            m["lshk.train.validation_accuracy"] = acc.ToString("R", CultureInfo.InvariantCulture);
        return m;
    }

    /// <summary>A canonical one-line form, compared when resuming from a checkpoint.</summary>
    public string Fingerprint() =>
        string.Join(";", $"data={Data}", $"network={Network.Describe()}", $"ways={Ways}", $"shots={Shots}", $"queries={Queries}",
            $"loss={Loss}", $"lr={LearningRate.ToString("R", CultureInfo.InvariantCulture)}", $"schedule={Schedule}", $"seed={Seed}",
            $"validation-classes={ValidationClasses}", $"validate-every={ValidateEvery}", $"validation-episodes={ValidationEpisodes}");

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
