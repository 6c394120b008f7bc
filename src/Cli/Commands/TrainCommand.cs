using System.CommandLine;
using System.Diagnostics;
using Lshk.Cli.Evaluation;
using Lshk.Cli.Modeling;
using Lshk.Cli.Training;
using Lshk.Data;
using Lshk.Data.Caching;
using Lshk.Data.Sources;
using Lshk.Kernels;
using Lshk.Kernels.Nn;
using Lshk.Nn;
using Spectre.Console;

namespace Lshk.Cli.Commands;

/// <summary>
/// <c>lshk train</c>: trains the embedding network on episodes of a dataset's training classes (Omniglot: the
/// background alphabets with their rotations), validates on held-out training classes, keeps the best model, writes
/// checkpoints it can resume from exactly, and ends with a short cosine-vs-LSH evaluation on the test classes.
/// </summary>
internal static class TrainCommand
{
    /// <summary>Default budget when neither --episodes nor --minutes is given.</summary>
    public const double DefaultMinutes = 12;

    /// <summary>
    /// Background characters held out for validation by default: 64 of 964 (6.6%; the rest, ×4 by rotation, train),
    /// enough for 20-way validation episodes with a few thousand query images.
    /// </summary>
    public const int OmniglotValidationClasses = 64;

    public static Command Create()
    {
        var data = new Option<string>("--data")
        {
            Description = "NAME or NAME:PATH (omniglot, mnist, cifar10, cifar100, folder:PATH); without a path $LSHK_DATA/NAME, then data/NAME",
            DefaultValueFactory = _ => "omniglot",
        };
        var split = new Option<string?>("--split") { Description = "Class split for datasets other than Omniglot (as lshk data info)" };
        var ways = new Option<int>("--ways") { Description = "Classes per training episode", DefaultValueFactory = _ => 60 };
        var shots = new Option<int>("--shots") { Description = "Support images per class", DefaultValueFactory = _ => 5 };
        var queries = new Option<int>("--queries") { Description = "Query images per class", DefaultValueFactory = _ => 5 };
        var loss = new Option<string>("--loss")
        {
            Description = $"Training loss: {string.Join(", ", TrainSettings.Losses)} (proto: squared Euclidean distance to class means; " +
                $"matching: softmax over the supports' cosines, a class's probability summed over its supports; cosine-mean: softmax over " +
                $"each class's mean cosine; both cosine losses multiply cosines by a fixed scale of {Lshk.Kernels.Nn.CosineLoss.DefaultScale:0}, not learned)",
            DefaultValueFactory = _ => "proto",
        };
        var layers = new Option<int>("--layers") { Description = "Conv blocks of the network", DefaultValueFactory = _ => 4 };
        var filters = new Option<int>("--filters") { Description = "Filters per conv", DefaultValueFactory = _ => 64 };
        var dropout = new Option<float>("--dropout") { Description = "Dropout after each block (0: none)", DefaultValueFactory = _ => 0f };
        var lr = new Option<float>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 1e-3f };
        var schedule = new Option<string>("--lr-schedule")
        {
            Description = "constant, cosine (over --episodes), cosine:N, or step:EVERY:GAMMA (default: halve every 2000 episodes, as the prototypical-networks paper)",
            DefaultValueFactory = _ => "step:2000:0.5",
        };
        var episodes = new Option<long?>("--episodes") { Description = "Budget: training episodes" };
        var minutes = new Option<double?>("--minutes") { Description = $"Budget: minutes of training (default {DefaultMinutes} when --episodes is not given either)" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of initialisation, episodes and dropout", DefaultValueFactory = _ => 1UL };
        var output = new Option<string>("--out") { Description = "Model file to write (.safetensors): the best validated model", DefaultValueFactory = _ => "model.safetensors" };
        var validationClasses = new Option<int?>("--validation-classes")
        {
            Description = $"Training classes held out for validation (default: {OmniglotValidationClasses} Omniglot background characters, before " +
                          "rotation; 0 for other datasets, whose split may hold validation classes of its own)",
        };
        var validateEvery = new Option<int>("--validate-every") { Description = "Validate every N episodes (0: never; the final model is kept)", DefaultValueFactory = _ => 500 };
        var validationEpisodes = new Option<int>("--validation-episodes") { Description = "Seeded episodes per validation task (5- and 20-way 1-shot)", DefaultValueFactory = _ => 200 };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint file or folder (default: OUT.ckpt)" };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Write a checkpoint every N episodes (0: never)", DefaultValueFactory = _ => 500 };
        var resume = new Option<bool>("--resume")
        {
            Description = "Continue from the checkpoint (when it exists) exactly where it stopped: with an --episodes budget, on the CPU " +
                          "with the same thread count, the model ends bit-identical to an uninterrupted run's (a --minutes budget counts the time already spent)",
        };
        var log = new Option<string?>("--log") { Description = "Per-interval CSV log of the run" };
        var logEvery = new Option<int>("--log-every") { Description = "Episodes per log interval (CSV row; progress line when not on a terminal)", DefaultValueFactory = _ => 100 };
        var summaryEpisodes = new Option<int>("--summary-episodes") { Description = "Test episodes per task in the final cosine-vs-LSH summary (0: skip it)", DefaultValueFactory = _ => 1000 };
        var threads = new Option<int>("--threads") { Description = "CPU worker threads (0: one per core); a resumed run must use the same count to be bit-identical", DefaultValueFactory = _ => 0 };
        var noCache = new Option<bool>("--no-cache") { Description = "Read the dataset's source files, not the cache" };
        var noDownload = new Option<bool>("--no-download")
        {
            Description = "Don't download the dataset when it is in neither $LSHK_DATA nor data/ (by default it is fetched from its official location)",
        };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Dataset cache folder" };
        var pause = new Option<int>("--debug-checkpoint-pause-ms") { Hidden = true, Description = "Test hook: pause half-way through writing each checkpoint" };
        var episodePause = new Option<int>("--debug-episode-pause-ms") { Hidden = true, Description = "Test hook: pause after each episode" };
        var device = CommonOptions.Device();

        var command = new Command("train", "Train the embedding network on few-shot episodes (--loss), keep the best validated model")
        {
            data, split, ways, shots, queries, loss, layers, filters, dropout, lr, schedule, episodes, minutes, seed, output,
            validationClasses, validateEvery, validationEpisodes, checkpoint, checkpointEvery, resume, log, logEvery,
            summaryEpisodes, threads, noCache, noDownload, cacheDir, pause, episodePause, device,
        };
        command.SetAction(parse =>
        {
            var console = Output.Console(parse);
            long? episodeBudget = parse.GetValue(episodes);
            double? minuteBudget = parse.GetValue(minutes);
            if (episodeBudget is <= 0) throw new ArgumentException($"--episodes must be positive (got {episodeBudget})");
            if (minuteBudget is not null && !(minuteBudget > 0 && double.IsFinite(minuteBudget.Value))) throw new ArgumentException($"--minutes must be positive (got {minuteBudget})");
            if (episodeBudget is null && minuteBudget is null) minuteBudget = DefaultMinutes;
            Check.Positive(parse.GetValue(logEvery), "--log-every");
            Check.NonNegative(parse.GetValue(checkpointEvery), "--checkpoint-every");
            Check.NonNegative(parse.GetValue(summaryEpisodes), "--summary-episodes");
            Check.NonNegative(parse.GetValue(threads), "--threads");
            string scheduleText = parse.GetValue(schedule)!.Trim().ToLowerInvariant();
            if (scheduleText == "cosine")
                scheduleText = episodeBudget is { } n ? $"cosine:{n}" : throw new ArgumentException("--lr-schedule cosine needs an --episodes budget (or give cosine:N)");

            var spec = DatasetSpec.Parse(parse.GetValue(data)!);
            var settings = new TrainSettings(spec.Id, new ConvNetConfig(parse.GetValue(layers), parse.GetValue(filters), parse.GetValue(dropout)),
                parse.GetValue(ways), parse.GetValue(shots), parse.GetValue(queries), parse.GetValue(loss)!.Trim().ToLowerInvariant(),
                parse.GetValue(lr), scheduleText, parse.GetValue(seed),
                parse.GetValue(validationClasses) ?? (spec.Name == DatasetName.Omniglot ? OmniglotValidationClasses : 0), parse.GetValue(validateEvery),
                parse.GetValue(validationEpisodes));
            settings.Validate();
            string outPath = Path.GetFullPath(parse.GetValue(output)!);
            string? outFolder = Path.GetDirectoryName(outPath);
            if (outFolder is not null && !Directory.Exists(outFolder)) throw new DirectoryNotFoundException($"{parse.GetValue(output)}: cannot write: the folder {outFolder} does not exist");
            string? checkpointPath = parse.GetValue(checkpointEvery) > 0 || parse.GetValue(resume) ? CheckpointPath(parse.GetValue(checkpoint), outPath) : null;

            // ---- data
            var watch = Stopwatch.StartNew();
            var locations = DataLocations.FromEnvironment();
            DatasetDownload.EnsurePresent(spec, locations, !parse.GetValue(noDownload), console);
            DatasetCache? cache = parse.GetValue(noCache) ? null : new DatasetCache(parse.GetValue(cacheDir) ?? locations.CacheFolder());
            var loader = new DatasetLoader(locations, cache);
            var few = loader.LoadFewShot(spec, new PreprocessSettings(settings.Network.InputSize),
                new SplitOptions(parse.GetValue(split), settings.ValidationClasses, settings.Seed));
            var train = few.Train ?? throw new ArgumentException($"{spec}: the split '{few.Split}' leaves no training classes");
            var network = settings.Network with { InputChannels = train.Channels };
            settings = settings with { Network = network };
            console.WriteLine($"data: {spec} ({few.Split}); train {train.ClassCount} classes / {train.Count} images, " +
                              $"validation {few.Validation?.ClassCount ?? 0} classes, test {few.Test.ClassCount} classes; loaded in {watch.Elapsed.TotalSeconds:F1} s");

            using var backend = CommonOptions.OpenDevice(parse, device);
            using var ops = NnOps.For(backend, parse.GetValue(threads));
            using var run = new EpisodeTraining(ops, settings, train);
            console.WriteLine($"device: {ops.Device.Name}; network: {network.Describe()}");
            console.WriteLine($"episodes: {settings.Ways}-way {settings.Shots}-shot {settings.Queries}-query ({run.BatchImages} images per step), loss {settings.Loss}, " +
                              $"Adam lr {settings.LearningRate} ({settings.Schedule}), seed {settings.Seed}; budget " +
                              string.Join(" or ", new[] { episodeBudget is { } e ? $"{e} episodes" : null, minuteBudget is { } m ? $"{m} minutes" : null }.Where(s => s is not null)));

            var validation = few.Validation is { ClassCount: >= 5 } v && settings.ValidateEvery > 0
                ? new FewShotTasks(v, [(5, 1), (20, 1)], settings.ValidationEpisodes, 15, settings.Seed ^ 0x56414C49UL)
                : null;
            if (validation is null)
                console.WriteLine(settings.ValidateEvery == 0 ? "validation: off (--validate-every 0); the final model is kept"
                    : "validation: off (fewer than 5 validation classes; see --validation-classes); the final model is kept");
            var plan = new RunPlan(outPath, episodeBudget, minuteBudget, checkpointPath, parse.GetValue(checkpointEvery), parse.GetValue(resume),
                parse.GetValue(logEvery), spec.Id, new ImagePreprocessing(network.InputSize, network.InputChannels, spec.Name == DatasetName.Omniglot),
                parse.GetValue(pause), parse.GetValue(episodePause));
            using var csv = parse.GetValue(log) is { } logPath
                ? new TrainLog(logPath, validation?.Tasks.Select(t => t.Name).ToArray() ?? [], ResumeEpisode(plan))
                : null;

            bool live = console.Profile.Capabilities.Interactive;
            var liveReporter = live ? new LiveReporter(console) : null;
            var runner = new TrainRunner(run, plan, validation, liveReporter ?? (ITrainReporter)new LineReporter(console), csv);
            if (liveReporter is not null)
                console.Progress()
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                        new ElapsedTimeColumn(), new RemainingTimeColumn())
                    .Start(ctx =>
                    {
                        liveReporter.Task = ctx.AddTask("training", maxValue: 1.0);
                        runner.Run();
                        liveReporter.Task.Value = liveReporter.Task.MaxValue;
                    });
            else
                runner.Run();
            console.WriteLine($"trained {run.Episode} episodes in {runner.TrainingSeconds:F1} s ({runner.TrainingSeconds / Math.Max(1, run.Episode):F3} s/episode); " +
                              (runner.BestScore is { } best ? $"best validation {best:P2} at episode {runner.BestEpisode}; " : "") + $"model: {outPath}");

            int summary = parse.GetValue(summaryEpisodes);
            if (summary > 0) Summarise(console, backend, ops, outPath, few.Test, summary, settings.Seed);
            return 0;
        });
        return command;
    }

    private static long ResumeEpisode(RunPlan plan)
    {
        if (!plan.Resume || plan.CheckpointPath is null || !File.Exists(plan.CheckpointPath)) return 0;
        var (_, metadata) = Lshk.Nn.ModelFiles.SafeTensors.Read(File.ReadAllBytes(plan.CheckpointPath), plan.CheckpointPath);
        return metadata.TryGetValue("lshk.checkpoint.episode", out var e) && long.TryParse(e, out long episode) ? episode : 0;
    }

    /// <summary>--checkpoint as given (a folder gets OUT-NAME.ckpt inside), or OUT.ckpt.</summary>
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
    /// The final summary: the saved model on the test classes, cosine against Hamming LSH (Gaussian planes, centred on
    /// the supports) at 16–128 planes, 5- and 20-way 1-shot (the grid <c>lshk eval</c> defines for this).
    /// </summary>
    private static void Summarise(IAnsiConsole console, IComputeBackend backend, INnOps ops, string modelPath, Dataset test, int episodes, ulong seed)
    {
        var watch = Stopwatch.StartNew();
        var (network, config, _) = Lshk.Nn.ModelFiles.ModelFile.Load(modelPath, ops);
        using (network)
        {
            var grid = EvaluationGrid.TrainingSummary(episodes, seed);
            grid = grid with { Ways = grid.Ways.Where(w => w <= test.ClassCount).ToArray() };
            if (grid.Ways.Length == 0)
            {
                console.WriteLine($"summary: skipped ({test.Source} has only {test.ClassCount} classes)");
                return;
            }
            float[] embeddings = NetworkEmbedding.Embed(network, config, ops, test);
            var result = EvaluationRunner.Run(embeddings, config.EmbeddingDim, test, grid, backend);
            console.WriteLine($"summary on {test.Source}: {episodes} episodes per task, {grid.Queries} queries per class, " +
                              $"accuracy % ± 95% CI; LSH on centred embeddings ({watch.Elapsed.TotalSeconds:F1} s)");
            console.Write(EvaluationTable.Build(result));
        }
    }

    /// <summary>Plain lines, one per log interval: for logs and redirected output.</summary>
    private sealed class LineReporter(IAnsiConsole console) : ITrainReporter
    {
        public void Episode(long episode, double fraction, float loss, float accuracy, double imagesPerSecond)
        {
        }

        public void Interval(IntervalStats s, long? totalEpisodes, double etaSeconds) =>
            console.WriteLine($"episode {s.Episode}{(totalEpisodes is { } t ? $"/{t}" : "")}  loss {s.Loss:F4}  train accuracy {s.Accuracy:P1}  " +
                              $"{s.ImagesPerSecond:F0} images/s  lr {s.LearningRate:G3}  elapsed {Time(s.Seconds)}  ETA {Time(etaSeconds)}");

        public void Message(string text) => console.WriteLine(text);
    }

    /// <summary>A live progress bar on a terminal.</summary>
    private sealed class LiveReporter(IAnsiConsole console) : ITrainReporter
    {
        public ProgressTask? Task { get; set; }

        public void Episode(long episode, double fraction, float loss, float accuracy, double imagesPerSecond)
        {
            if (Task is null) return;
            Task.Description = $"episode {episode}  loss {loss:F3}  acc {accuracy:P1}  {imagesPerSecond:F0} img/s";
            Task.Value = fraction;
        }

        public void Interval(IntervalStats stats, long? totalEpisodes, double etaSeconds)
        {
        }

        public void Message(string text) => console.MarkupLineInterpolated($"{text}");
    }

    private static string Time(double seconds) =>
        double.IsFinite(seconds) && seconds >= 0 ? TimeSpan.FromSeconds(Math.Round(seconds)).ToString(@"h\:mm\:ss") : "-";
}
