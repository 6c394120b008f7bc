using Lshk.App.Modeling;
using Lshk.App.Training;
using Lshk.Data;
using Lshk.Data.Caching;
using Lshk.Data.Sources;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Nn;
using Lshk.Nn;

namespace Lshk.Tests.Cli;

/// <summary>
/// The validation score a run's network gets before its first training step: the same validation episodes, the same
/// initialisation (seeded), the same matcher. A training test demands clearly more than this, not just more than chance.
/// </summary>
internal static class UntrainedValidation
{
    public static double Score(TrainRequest request, string cacheFolder)
    {
        var (settings, _, _) = TrainingJob.Settings(request);
        var loader = new DatasetLoader(DataLocations.FromEnvironment(), new DatasetCache(cacheFolder));
        var few = loader.LoadFewShot(request.Data, new PreprocessSettings(settings.Network.InputSize),
            new SplitOptions(request.Split, settings.ValidationClasses, settings.Seed));
        var tasks = TrainingJob.Validation(few.Validation, settings) ?? throw new InvalidOperationException("the request does not validate");
        var config = settings.Network with { InputChannels = few.Validation!.Channels };
        using var backend = new CpuBackend();
        using var ops = NnOps.For(backend);
        using var network = ConvNet.Create(ops, config, settings.Seed);
        using var embedder = Embedder.ForNetwork(network, config, ops);
        return tasks.CosineAccuracy(backend, embedder.Embed(tasks.Data), config.EmbeddingDim).Average();
    }
}
