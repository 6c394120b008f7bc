using System.Globalization;
using Lshk.App;
using Lshk.App.Evaluation;
using Lshk.App.Modeling;
using Lshk.App.Training;
using Lshk.Data;
using Lshk.Data.Caching;
using Lshk.Data.Datasets;
using Lshk.Data.Sources;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Nn;
using Lshk.Lsh;
using Lshk.Lsh.Families;
using Lshk.Nn;
using Lshk.Nn.ModelFiles;
using Lshk.Tests.Data;

namespace Lshk.Tests.Cli;

/// <summary>
/// Hash-aware training (<c>lshk train --hash-bits P</c>) end to end on real Omniglot with tiny budgets: the model
/// stores its trained planes as the 'learned' family, they hash validation classes clearly better than the same
/// layer before training, eval/enroll/classify use them, and a resumed run is byte-identical.
/// </summary>
public class HashTrainingTests(ITestOutputHelper testLog)
{
    private const int Bits = 16;
    private static readonly string Cache = Path.Combine(Path.GetTempPath(), "lshk-train-tests-cache");

    private static string[] TinyHashRun(string output, int episodes, params string[] more) =>
    [
        "train", "--data", "omniglot:" + DataFiles.OmniglotFolder, "--cache-dir", Cache, "--ways", "5", "--shots", "2", "--queries", "3",
        "--layers", "2", "--filters", "8", "--episodes", episodes.ToString(CultureInfo.InvariantCulture), "--validation-episodes", "30",
        "--hash-bits", Bits.ToString(CultureInfo.InvariantCulture), "--out", output, .. more,
    ];

    private static TrainRequest TinyRequest() => TrainCommandTests.TinyRequest() with { HashBits = Bits };

    /// <summary>5-way 1-shot Hamming accuracy of <paramref name="planes"/> on <paramref name="classes"/>, 200 seeded episodes.</summary>
    private static double HammingAccuracy(Embedder embedder, Hyperplanes planes, Dataset classes, CpuBackend backend)
    {
        var grid = new EvaluationGrid([5], [1], [planes.Count], [LearnedPlanes.Instance], Episodes: 200, Queries: 5, Seed: 3)
        {
            Methods = [MatchMethod.HammingNearest],
        };
        var result = EvaluationRunner.Run(embedder.Embed(classes), embedder.Dim, classes, grid, backend, stored: planes);
        return result.Find(5, 1, "hamming", LearnedPlanes.FamilyName).Mean;
    }

    [Fact]
    public void OmniglotTrainsAHashLayerByDefaultAndOtherDatasetsDoNot()
    {
        var omniglot = TrainCommandTests.TinyRequest();
        Assert.Equal(OmniglotDataset.DefaultHashBits, TrainingJob.Settings(omniglot).Settings.Hash?.Bits);
        Assert.Null(TrainingJob.Settings(omniglot with { HashBits = 0 }).Settings.Hash);
        Assert.Equal(Bits, TrainingJob.Settings(omniglot with { HashBits = Bits }).Settings.Hash?.Bits);
        // What a hash layer excludes turns the default off rather than failing: the study's loss, planes fitted at the end.
        Assert.Null(TrainingJob.Settings(omniglot with { Loss = LshSigmoidLoss.LossName }).Settings.Hash);
        Assert.Null(TrainingJob.Settings(omniglot with { FitHash = "itq" }).Settings.Hash);
        var e = Assert.Throws<SettingException>(() => TrainingJob.Settings(omniglot with { HashBits = -1 }));
        Assert.Contains("must be 0 (no hash layer) or more (got -1)", e.Message);

        // The code loss's k-shot view: up to the episode's shots (TinyRequest's 2), and named in the model's metadata.
        var oneShot = TrainingJob.Settings(omniglot with { HashBits = Bits, HashCodeShots = 1 }).Settings;
        Assert.Contains(",code-shots=1", oneShot.ToMetadata(0, null)["lshk.train.hash"]);
        var tooMany = Assert.Throws<SettingException>(() => TrainingJob.Settings(omniglot with { HashBits = Bits, HashCodeShots = 3 }));
        Assert.Contains("must be 0 (the episode's shots) to 2 (the episode's; got 3)", tooMany.Message);
        // The code loss's scale: named in the metadata when asked, a one-line error when not positive.
        var scaled = TrainingJob.Settings(omniglot with { HashBits = Bits, HashCodeScale = 5 }).Settings;
        Assert.Contains(",code-scale=5", scaled.ToMetadata(0, null)["lshk.train.hash"]);
        var normalised = TrainingJob.Settings(omniglot with { HashBits = Bits, HashNormalise = true }).Settings;
        Assert.Contains(",normalise", normalised.ToMetadata(0, null)["lshk.train.hash"]);
        var straight = TrainingJob.Settings(omniglot with { HashBits = Bits, HashStraightThrough = StraightThrough.Queries }).Settings;
        Assert.Contains(",straight-through=queries", straight.ToMetadata(0, null)["lshk.train.hash"]);
        var negative = Assert.Throws<SettingException>(() => TrainingJob.Settings(omniglot with { HashBits = Bits, HashCodeScale = -1 }));
        Assert.Contains("must be a positive number (got -1)", negative.Message);
        // The code loss's weight: named in the metadata when asked, a one-line error when not positive.
        var weighted = TrainingJob.Settings(omniglot with { HashBits = Bits, HashCodeWeight = 2 }).Settings;
        Assert.Contains(",code-weight=2,", weighted.ToMetadata(0, null)["lshk.train.hash"]);
        var zeroWeight = Assert.Throws<SettingException>(() => TrainingJob.Settings(omniglot with { HashBits = Bits, HashCodeWeight = 0 }));
        Assert.Equal("hash-code-weight must be a positive number (got 0)", zeroWeight.Message);
        // The decorrelation term and the code margin: named when asked, one-line errors for values out of range.
        var decorrelated = TrainingJob.Settings(omniglot with { HashBits = Bits, HashDecorrelation = 10, HashCodeMargin = 0.1f }).Settings;
        Assert.EndsWith(",decorrelation=10,code-margin=0.1", decorrelated.ToMetadata(0, null)["lshk.train.hash"]);
        Assert.Equal("hash-decorrelation must be a non-negative number (got -2)",
            Assert.Throws<SettingException>(() => TrainingJob.Settings(omniglot with { HashBits = Bits, HashDecorrelation = -2 })).Message);
        Assert.Equal("hash-code-margin must be a cosine from 0 to below 2 (got 3)",
            Assert.Throws<SettingException>(() => TrainingJob.Settings(omniglot with { HashBits = Bits, HashCodeMargin = 3 })).Message);
        Assert.Equal("hash-code-margin applies to the cosine-mean code loss, not proto",
            Assert.Throws<SettingException>(() => TrainingJob.Settings(omniglot with { HashBits = Bits, HashCodeMargin = 0.1f, HashCodeLoss = "proto" })).Message);

        var mnist = omniglot with { Data = DatasetSpec.Parse("mnist:" + DataFiles.MnistFolder) };
        Assert.Null(TrainingJob.Settings(mnist).Settings.Hash);

        // The code loss's weight follows the dataset unless given: 3 on Omniglot (bench/RESULTS.md, "Session 24"), 1 elsewhere.
        Assert.Equal(3f, TrainingJob.Settings(omniglot).Settings.Hash?.CodeWeight);
        Assert.Equal(1f, TrainingJob.Settings(omniglot with { HashCodeWeight = 1 }).Settings.Hash?.CodeWeight);
        Assert.Equal(1f, TrainingJob.Settings(mnist with { HashBits = Bits }).Settings.Hash?.CodeWeight);
        // So does the code loss's margin (0.15 on Omniglot, "Session 25"), where the code loss is cosine-mean.
        Assert.Equal(0.15f, TrainingJob.Settings(omniglot).Settings.Hash?.CodeMargin);
        Assert.EndsWith(",code-weight=3,code-margin=0.15", TrainingJob.Settings(omniglot).Settings.ToMetadata(0, null)["lshk.train.hash"]);
        Assert.Equal(0f, TrainingJob.Settings(omniglot with { HashCodeMargin = 0 }).Settings.Hash?.CodeMargin);
        Assert.Equal(0f, TrainingJob.Settings(omniglot with { HashCodeLoss = "proto" }).Settings.Hash?.CodeMargin);
        Assert.Equal(0f, TrainingJob.Settings(mnist with { HashBits = Bits }).Settings.Hash?.CodeMargin);
    }

    [Fact]
    public void TrainedPlanesAreStoredAndHashClearlyBetterThanBeforeTraining()
    {
        using var dir = new TempFolder();
        string model = dir.File("model.safetensors");
        var run = CliRunner.Run(TinyHashRun(model, 60, "--validate-every", "0", "--summary-episodes", "0", "--checkpoint-every", "0",
            "--lr", "0.003"));
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("hash-aware training: 16-bit hash layer", run.Out);

        using var backend = new CpuBackend();
        using var trained = Embedder.Load(model, backend);
        var planes = ModelPlanes.Of(trained) ?? throw new Xunit.Sdk.XunitException("the model stores no planes");
        Assert.Same(LearnedPlanes.Instance, planes.Family);
        Assert.Equal((Bits, trained.Dim), (planes.Count, planes.Dim));
        Assert.Contains("bits=16", trained.Metadata["lshk.train.hash"]);

        // The same run's hash layer and network before the first step (seeded: the same initialisation).
        var (settings, _, _) = TrainingJob.Settings(TinyRequest());
        var loader = new DatasetLoader(DataLocations.FromEnvironment(), new DatasetCache(Cache));
        var few = loader.LoadFewShot(TinyRequest().Data, new PreprocessSettings(settings.Network.InputSize),
            new SplitOptions(null, settings.ValidationClasses, settings.Seed));
        settings = settings with { Network = settings.Network with { InputChannels = few.Train!.Channels } };
        using var ops = NnOps.For(backend);
        using var start = new EpisodeTraining(ops, settings, few.Train);
        using var untrained = Embedder.ForNetwork(start.Network, settings.Network, ops);
        var initial = start.Hash!.ToStoredPlanes();
        var initialPlanes = new Hyperplanes(LearnedPlanes.Instance, initial.Count, initial.Dim, initial.Weight, initial.Bias, 1, 0);

        // On the validation classes (never trained on). Measured: 16-bit Hamming 5-way 1-shot goes from 33.1 % (the
        // initial layer on the untrained network) to 50.5 % after 60 episodes; ask for 8 points, several times the
        // noise of 200 episodes × 25 queries (±1.4 points at 95 %).
        double before = HammingAccuracy(untrained, initialPlanes, few.Validation!, backend);
        double after = HammingAccuracy(trained, planes, few.Validation!, backend);
        testLog.WriteLine($"16-bit learned planes, 5-way 1-shot Hamming on validation classes: before {before:P2}, after 60 episodes {after:P2}");
        Assert.True(after >= before + 0.08, $"learned planes {after:P2} are not clearly above their untrained start {before:P2}");
    }

    [Fact]
    public void EvalEnrollAndClassifyUseTheLearnedPlanes()
    {
        using var dir = new TempFolder();
        string model = dir.File("model.safetensors");
        Assert.Equal(0, CliRunner.Run(TinyHashRun(model, 4, "--validate-every", "0", "--summary-episodes", "0", "--checkpoint-every", "0")).Code);

        string csv = dir.File("e.csv");
        var eval = CliRunner.Run("eval", "--model", model, "--data", "omniglot:" + DataFiles.OmniglotFolder, "--ways", "5", "--shots", "1",
            "--planes", "64", "--hash", "gaussian,learned", "--methods", "hamming,asymmetric", "--episodes", "4", "--queries", "2",
            "--cache-dir", Cache, "--device", "cpu", "--csv", csv);
        Assert.True(eval.Code == 0, eval.Err);
        var lines = File.ReadAllLines(csv);
        var header = lines[0].Split(',');
        var learned = lines.Skip(1).Select(l => l.Split(',')).Where(r => r[Array.IndexOf(header, "hash")] == "learned").ToArray();
        // Learned planes exist at the one length they were trained at (16), whatever --planes asks of the random ones.
        Assert.Equal(2, learned.Length);
        Assert.All(learned, r => Assert.Equal("16", r[Array.IndexOf(header, "testing_planes")]));
        Assert.All(learned, r => Assert.Equal("learned", r[Array.IndexOf(header, "center")]));

        string support = EnrollCommandTests.SupportFolder(dir, "s", characters: 3, drawings: 2);
        string index = dir.File("i.lshi");
        var enroll = CliRunner.Run("enroll", "--model", model, "--support", support, "--out", index, "--hash", "learned");
        Assert.True(enroll.Code == 0, enroll.Err);
        // It says what the index holds: the model's 16 trained planes and their trained bias, not the 256 of --planes' default.
        Assert.EndsWith($" with {Bits} learned planes (seed 1), centring off", enroll.Err.TrimEnd());
        var classify = CliRunner.Run("classify", "--model", model, "--index", index, "--json", Directory.GetFiles(Directory.GetDirectories(support)[0])[0]);
        Assert.True(classify.Code == 0, classify.Err);
        Assert.Contains("\"class\"", classify.Out);

        // A model trained without a hash layer has no learned planes: one line saying so.
        string plain = EmbedderTests.SaveRandomModel(dir, new Lshk.Nn.ConvNetConfig(Blocks: 2, Filters: 8));
        var refused = CliRunner.Run("enroll", "--model", plain, "--support", support, "--out", dir.File("j.lshi"), "--hash", "learned");
        Assert.NotEqual(0, refused.Code);
        Assert.Contains("trained with the network", refused.Err);
        Assert.Single(refused.Err.Trim().Split('\n'));
    }

    [Fact]
    public void AResumedHashTrainingRunIsByteIdentical()
    {
        using var dir = new TempFolder();
        string[] Args(string output, int episodes, params string[] more) =>
            TinyHashRun(output, episodes, ["--validate-every", "0", "--summary-episodes", "0", "--checkpoint-every", "4", "--lr-schedule", "step:2000:0.5", .. more]);
        string reference = dir.File("reference.safetensors"), model = dir.File("model.safetensors");
        Assert.Equal(0, CliRunner.Run(Args(reference, 8)).Code);
        // Stopped after episode 6, resumed from its checkpoint of episode 4 (a finished run writes none at its end).
        Assert.Equal(0, CliRunner.Run(Args(model, 6)).Code);
        var resumed = CliRunner.Run(Args(model, 8, "--resume"));
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Contains("resumed from", resumed.Out + resumed.Err);
        Assert.Equal(File.ReadAllBytes(reference), File.ReadAllBytes(model));
        // The planes trained on: not the initial ones (the run did move them).
        var (tensors, _) = SafeTensors.Read(File.ReadAllBytes(model), model);
        Assert.Contains(tensors, t => t.Name == StoredPlanes.BiasName && t.ToFloats().Any(v => v != 0f));
    }

    [Fact]
    public void TrainCanFitPlanesToItsTrainingClassesAtTheEnd()
    {
        using var dir = new TempFolder();
        string model = dir.File("model.safetensors");
        string[] args = ["train", "--data", "omniglot:" + DataFiles.OmniglotFolder, "--cache-dir", Cache, "--ways", "5", "--shots", "2",
            "--queries", "3", "--layers", "2", "--filters", "8", "--episodes", "4", "--validate-every", "0", "--summary-episodes", "0",
            "--checkpoint-every", "0", "--out", model, "--fit-hash", "pca", "--fit-planes", "8"];
        var run = CliRunner.Run(args);
        Assert.True(run.Code == 0, run.Err);
        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(model, backend);
        var planes = ModelPlanes.Of(embedder)!;
        Assert.Equal(("pca", 8), (planes.Family.Name, planes.Count));
        // Fitted to the training classes: the background alphabets less the validation classes, never the evaluation alphabets.
        Assert.Contains("training classes", embedder.Metadata["lshk.hash.fitted_on"]);
        Assert.DoesNotContain("evaluation", embedder.Metadata["lshk.hash.fitted_on"]);

        var both = CliRunner.Run([.. args, "--hash-bits", "8"]);
        Assert.Equal(2, both.Code);
        Assert.Contains("--fit-hash", both.Err);
        Assert.Single(both.Err.Trim().Split('\n'));
    }

    [Fact]
    public void TrainCanFitACodebookBesideItsHashLayerAtTheEnd()
    {
        using var dir = new TempFolder();
        string model = dir.File("model.safetensors");
        var run = CliRunner.Run("train", "--data", "omniglot:" + DataFiles.OmniglotFolder, "--cache-dir", Cache, "--ways", "5", "--shots", "2",
            "--queries", "3", "--layers", "2", "--filters", "8", "--episodes", "4", "--validate-every", "0", "--summary-episodes", "0",
            "--checkpoint-every", "0", "--out", model, "--hash-bits", "8", "--fit-hash", "pq", "--fit-planes", "16");
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("fitted a 16-bit pq codebook", run.Out + run.Err);
        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(model, backend);
        Assert.Equal(("learned", 8), (ModelPlanes.Of(embedder)!.Family.Name, ModelPlanes.Of(embedder)!.Count));   // the hash layer kept
        var codebook = ModelCodebooks.Of(embedder)!;
        Assert.Equal(("pq", 16), (codebook.Family.Name, codebook.Bits));
        Assert.Contains("training classes", embedder.Metadata["lshk.codebook.fitted_on"]);
        Assert.DoesNotContain("evaluation", embedder.Metadata["lshk.codebook.fitted_on"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheStudysLshSigmoidLossTrainsAndStoresItsPlanes(bool trainable)
    {
        using var dir = new TempFolder();
        string model = dir.File("model.safetensors");
        string[] args = ["train", "--data", "omniglot:" + DataFiles.OmniglotFolder, "--cache-dir", Cache, "--ways", "5", "--shots", "2",
            "--queries", "3", "--layers", "2", "--filters", "8", "--episodes", "3", "--validate-every", "0", "--summary-episodes", "0",
            "--checkpoint-every", "0", "--out", model, "--loss", "lsh-sigmoid", "--lsh-planes", "32", .. trainable ? new[] { "--lsh-trainable" } : []];
        var run = CliRunner.Run(args);
        Assert.True(run.Code == 0, run.Err);
        using var backend = new CpuBackend();
        using var embedder = Embedder.Load(model, backend);
        var planes = ModelPlanes.Of(embedder)!;
        Assert.Equal((LearnedPlanes.FamilyName, 32), (planes.Family.Name, planes.Count));
        Assert.Contains($"trainable={(trainable ? "yes" : "no")}", embedder.Metadata["lshk.train.lsh_sigmoid"]);
        // Fixed planes keep their zero offsets; trained ones move them.
        Assert.Equal(trainable, planes.Offsets!.Any(v => v != 0f));

        var both = CliRunner.Run([.. args, "--hash-bits", "8"]);
        Assert.Equal(2, both.Code);
        Assert.Single(both.Err.Trim().Split('\n'));
    }
}
