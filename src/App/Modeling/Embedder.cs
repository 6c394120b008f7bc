using System.Security.Cryptography;
using Lshk.Data;
using Lshk.Data.Imaging;
using Lshk.Kernels;
using Lshk.Kernels.Nn;
using Lshk.Lsh.Index;
using Lshk.Nn;
using Lshk.Nn.ModelFiles;

namespace Lshk.App.Modeling;

/// <summary>
/// The one place images become embeddings: image (C×H×W floats, prepared as in training) → embedding (D floats), the
/// network in evaluation mode (batch-norm running statistics, no dropout). Used by training validation, the training
/// summary, eval, embed, enroll and classify. A loaded model also knows how its images were prepared
/// (<see cref="Preprocessing"/>), so image files are prepared exactly as its training images were.
/// </summary>
public sealed class Embedder : IDisposable
{
    /// <summary>Images per forward pass: large enough to keep the kernels busy, small enough to bound the activations.</summary>
    public const int DefaultBatch = 500;

    private readonly INnOps _ops;
    private readonly bool _ownsModel;

    private Embedder(string source, Sequential network, ConvNetConfig config, INnOps ops, ImagePreprocessing preprocessing,
        IReadOnlyDictionary<string, string> metadata, string checksum, bool ownsModel)
    {
        (Source, Network, Config, _ops, Preprocessing, Metadata, Checksum, _ownsModel) = (source, network, config, ops, preprocessing, metadata, checksum, ownsModel);
    }

    /// <summary>The model file, or a description of the network when it is not one.</summary>
    public string Source { get; }

    /// <summary>Embeds with a network owned elsewhere (the one being trained); disposing the embedder leaves it alone.</summary>
    public static Embedder ForNetwork(Sequential network, ConvNetConfig config, INnOps ops) =>
        new("the network in training", network, config, ops, new ImagePreprocessing(config.InputSize, config.InputChannels, Invert: false),
            new Dictionary<string, string>(), checksum: "", ownsModel: false);

    public Sequential Network { get; }
    public ConvNetConfig Config { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>How the model's training images were prepared (from its metadata).</summary>
    public ImagePreprocessing Preprocessing { get; }

    /// <summary>Hash planes stored in the model file (by <c>lshk fit-hash</c>), or null; <see cref="ModelPlanes"/> reads them as hyperplanes.</summary>
    public StoredPlanes? Planes { get; private init; }

    /// <summary>A product-quantiser codebook stored in the model file (by <c>lshk fit-hash --hash pq|opq</c>), or null; <see cref="ModelCodebooks"/> reads it.</summary>
    public StoredCodebook? Codebook { get; private init; }

    /// <summary>SHA-256 (hex) of the model file, so an index can tell which model made its codes.</summary>
    public string Checksum { get; }

    /// <summary>
    /// Test-time views every embedding is averaged over (<see cref="TestTimeViews"/>); null or a count of 1: each
    /// image once, as it is.
    /// </summary>
    public TestTimeViews? Views { get; set; }

    public int Dim => Config.EmbeddingDim;
    public int ImageLength => Config.InputChannels * Config.InputSize * Config.InputSize;

    /// <summary>Loads a model file onto the backend's neural-net operations, with how its images were prepared.</summary>
    public static Embedder Load(string path, IComputeBackend backend)
    {
        var ops = NnOps.For(backend);
        try
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new FileNotFoundException($"{path}: model file not found");
            }
            var (network, config, metadata) = ModelFile.Load(bytes, path, ops, out var planes, out var codebook);
            try
            {
                var preprocessing = ImagePreprocessing.FromMetadata(metadata, config.InputSize, config.InputChannels, path);
                return new Embedder(path, network, config, ops, preprocessing, metadata, Convert.ToHexStringLower(SHA256.HashData(bytes)), ownsModel: true)
                {
                    Planes = planes,
                    Codebook = codebook,
                };
            }
            catch
            {
                network.Dispose();
                throw;
            }
        }
        catch
        {
            (ops as IDisposable)?.Dispose();
            throw;
        }
    }

    /// <summary>Every image of a dataset (read as the model's training data was), normalised as in training → data.Count × D.</summary>
    public float[] Embed(Dataset data)
    {
        float[] images = data.Images;
        if (Preprocessing.Mean is not null || Preprocessing.Std is not null)
        {
            images = (float[])images.Clone();
            Preprocessing.Normalise(images);
        }
        return Embed(images, data.Count);
    }

    /// <summary>
    /// Embeds count images (count × C×H×W, row-major, prepared) → count × D; under <see cref="Views"/>, each row is the
    /// mean of the image's embedding and its distorted copies' (view by view, in view order).
    /// </summary>
    public float[] Embed(ReadOnlySpan<float> images, int count, int batch = DefaultBatch)
    {
        Check.NonNegative(count, nameof(count));
        Check.Positive(batch, nameof(batch));
        if (images.Length != (long)count * ImageLength)
            throw new ArgumentException(
                $"images have {(count == 0 ? images.Length : images.Length / count)} values each, but the model expects " +
                $"{Config.InputChannels}×{Config.InputSize}×{Config.InputSize} = {ImageLength}");
        var result = EmbedOnce(images, count, batch);
        if (Views is not { Count: > 1 } views || count == 0) return result;
        float[] source = images.ToArray(), distorted = new float[source.Length];
        int length = ImageLength, channels = Config.InputChannels, side = Config.InputSize;
        for (int v = 1; v < views.Count; v++)
        {
            var transform = views.Transform(v);
            Parallel.For(0, count, i => transform.Warp(source.AsSpan(i * length, length), distorted.AsSpan(i * length, length), channels, side, side));
            float[] view = EmbedOnce(distorted, count, batch);
            for (long i = 0; i < result.LongLength; i++) result[i] += view[i];
        }
        float scale = 1f / views.Count;
        for (long i = 0; i < result.LongLength; i++) result[i] *= scale;
        return result;
    }

    /// <summary>The network's embedding of each image, once.</summary>
    private float[] EmbedOnce(ReadOnlySpan<float> images, int count, int batch)
    {
        var result = new float[(long)count * Dim];
        if (count == 0) return result;
        int size = Math.Min(batch, count);
        using var input = _ops.Allocate(size * ImageLength);
        for (int start = 0; start < count; start += size)
        {
            int n = Math.Min(size, count - start);
            // The last batch may be smaller: run it through a buffer of exactly its size.
            using var small = n == size ? null : _ops.Allocate(n * ImageLength);
            var buffer = small ?? input;
            buffer.CopyFrom(images.Slice(start * ImageLength, n * ImageLength));
            var output = Network.Forward(buffer, ConvNet.InputShape(Config, n), training: false);
            output.CopyTo(result.AsSpan(start * Dim, n * Dim));
        }
        return result;
    }

    /// <summary>Reads, prepares and embeds image files (those <paramref name="keep"/> accepts) → the images and their N×D embeddings.</summary>
    public (ImageBatch Images, float[] Embeddings) EmbedFiles(IReadOnlyList<string> files, Func<int, byte[], bool>? keep = null)
    {
        var images = ImageFiles.Load(files, Preprocessing, keep);
        return (images, Embed(images.Pixels, images.Count));
    }

    /// <summary>
    /// Embeds a support folder (one subfolder per class, see <see cref="ImageFiles.ClassFolders"/>) → items to enrol.
    /// Files that <paramref name="skip"/> (given class and SHA-256) says are already enrolled are not decoded or embedded.
    /// </summary>
    public SupportItems EmbedClassFolders(string folder, Func<string, byte[], bool>? skip = null)
    {
        var files = new List<string>();
        var classOf = new List<string>();
        foreach (var (name, list) in ImageFiles.ClassFolders(folder))
        {
            files.AddRange(list);
            classOf.AddRange(Enumerable.Repeat(name, list.Count));
        }
        var kept = new bool[files.Count];
        var (images, embeddings) = EmbedFiles(files, skip is null ? null : (i, hash) => kept[i] = !skip(classOf[i], hash));
        var keptClasses = skip is null ? classOf : classOf.Where((_, i) => kept[i]).ToList();
        return new SupportItems(keptClasses, embeddings, Dim, images.ContentHashes);
    }

    public void Dispose()
    {
        if (!_ownsModel) return;
        Network.Dispose();
        (_ops as IDisposable)?.Dispose();
    }
}
