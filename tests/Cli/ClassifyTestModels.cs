using System.IO.Compression;
using Lshk.App.Modeling;
using Lshk.Data.Imaging;
using Lshk.Data;
using Lshk.Data.Episodes;
using Lshk.Kernels.Cpu;
using Lshk.Kernels.Nn;
using Lshk.Nn;
using Lshk.Nn.ModelFiles;
using Lshk.Nn.Optimisers;
using Lshk.Tests.Data;

namespace Lshk.Tests.Cli;

/// <summary>Models and Omniglot image folders for the embed/enroll/classify tests.</summary>
internal static class ClassifyTestModels
{
    /// <summary>The preprocessing an Omniglot model records: 28×28 gray, strokes inverted to ink = 1.</summary>
    public static readonly ImagePreprocessing Omniglot = new(28, 1, Invert: true);

    /// <summary>
    /// Trains an embedding network briefly on Omniglot background episodes (prototypical loss, Adam) and saves it
    /// with Omniglot's preprocessing in its metadata. Episode i depends only on (seed, i).
    /// </summary>
    public static string TrainOmniglot(string path, ConvNetConfig config, int episodes, int ways = 20, int shots = 1,
        int queries = 4, ulong seed = 11)
    {
        var data = DataFiles.OmniglotBackgroundSet;
        using var backend = new CpuBackend();
        var ops = NnOps.For(backend);
        using var network = ConvNet.Create(ops, config, seed);
        if (episodes > 0)
        {
            using var adam = new Adam(ops, network.Parameters, new ConstantRate(1e-3f));
            using var loss = new PrototypicalLoss(ops);
            var trainer = new Trainer(network, adam, loss);
            var sampler = new EpisodeSampler(data, new EpisodeSpec(ways, shots, queries), seed);
            var shape = new EpisodeShape(ways, shots, queries, config.EmbeddingDim);
            var input = ConvNet.InputShape(config, shape.Batch);
            var pixels = new float[input.Length];
            using var images = ops.Allocate(input.Length);
            for (int e = 0; e < episodes; e++)
            {
                var episode = sampler.Sample(e);
                // Class-major: each class's supports, then its queries.
                int at = 0;
                for (int c = 0; c < ways; c++)
                {
                    for (int s = 0; s < shots; s++) data.Image(episode.Support[c * shots + s]).CopyTo(pixels.AsSpan(at++ * 784, 784));
                    for (int q = 0; q < queries; q++) data.Image(episode.Query[c * queries + q]).CopyTo(pixels.AsSpan(at++ * 784, 784));
                }
                images.CopyFrom(pixels);
                trainer.Step(images, input, shape);
            }
        }
        var metadata = Omniglot.ToMetadata();
        metadata["lshk.data"] = "omniglot";
        AtomicFile.Write(path, s => ModelFile.Save(s, network, config, metadata));
        return path;
    }

    /// <summary>An untrained network saved with the given preprocessing in its metadata.</summary>
    public static string SaveRandom(string path, ImagePreprocessing preprocessing, ConvNetConfig? config = null, ulong seed = 3)
    {
        config ??= new ConvNetConfig(Blocks: 3, Filters: 8, InputChannels: preprocessing.Channels, InputSize: preprocessing.Size);
        using var backend = new CpuBackend();
        using var network = ConvNet.Create(NnOps.For(backend), config, seed);
        AtomicFile.Write(path, s => ModelFile.Save(s, network, config, preprocessing.ToMetadata()));
        return path;
    }

    /// <summary>
    /// Extracts drawings of Omniglot evaluation characters: for each of the first <paramref name="characters"/>
    /// characters (ordinal order of alphabet/character) its first <paramref name="drawings"/> PNGs, to
    /// root/&lt;alphabet&gt;/&lt;character&gt;/&lt;file&gt;.png (the Omniglot layout). Returns the class names
    /// ("alphabet/character") in order.
    /// </summary>
    public static IReadOnlyList<string> ExtractEvaluation(string root, int characters, int drawings, int skipCharacters = 0)
    {
        using var zip = ZipFile.OpenRead(DataFiles.OmniglotEvaluation);
        var byCharacter = zip.Entries.Where(e => e.FullName.EndsWith(".png", StringComparison.Ordinal))
            .GroupBy(e => Path.GetDirectoryName(e.FullName)!.Replace('\\', '/'))
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Skip(skipCharacters).Take(characters).ToList();
        var names = new List<string>();
        foreach (var group in byCharacter)
        {
            var parts = group.Key.Split('/');
            string name = parts[^2] + "/" + parts[^1];
            names.Add(name);
            string folder = Path.Combine(root, parts[^2], parts[^1]);
            Directory.CreateDirectory(folder);
            foreach (var entry in group.OrderBy(e => e.Name, StringComparer.Ordinal).Take(drawings))
                entry.ExtractToFile(Path.Combine(folder, entry.Name));
        }
        return names;
    }
}
