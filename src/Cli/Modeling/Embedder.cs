using System.Security.Cryptography;
using Lshk.Kernels;
using Lshk.Kernels.Nn;
using Lshk.Nn;
using Lshk.Nn.ModelFiles;

namespace Lshk.Cli.Modeling;

/// <summary>
/// A trained embedding network ready to embed images: image (C×H×W floats in [0, 1], preprocessed as in
/// training) → embedding (D floats). Shared by eval, embed, enroll, classify and the training summary.
/// </summary>
public sealed class Embedder : IDisposable
{
    private readonly INnOps _ops;
    private readonly bool _ownsOps;

    public Embedder(Sequential network, ConvNetConfig config, INnOps ops, IReadOnlyDictionary<string, string> metadata,
        string checksum, bool ownsOps = false)
    {
        Network = network;
        Config = config;
        _ops = ops;
        _ownsOps = ownsOps;
        Metadata = metadata;
        Checksum = checksum;
    }

    public Sequential Network { get; }
    public ConvNetConfig Config { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>SHA-256 (hex) of the model file, so an index can tell which model made its codes.</summary>
    public string Checksum { get; }

    public int Dim => Config.EmbeddingDim;
    public int ImageLength => Config.InputChannels * Config.InputSize * Config.InputSize;

    /// <summary>Loads a model file onto the backend's neural-net operations.</summary>
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
            var (network, config, metadata) = ModelFile.Load(bytes, path, ops);
            return new Embedder(network, config, ops, metadata, Convert.ToHexStringLower(SHA256.HashData(bytes)), ownsOps: true);
        }
        catch
        {
            (ops as IDisposable)?.Dispose();
            throw;
        }
    }

    /// <summary>Embeds count images (count × C×H×W, row-major) in evaluation mode → count × D.</summary>
    public float[] Embed(ReadOnlySpan<float> images, int count, int batch = 500)
    {
        Check.NonNegative(count, nameof(count));
        Check.Positive(batch, nameof(batch));
        if (images.Length != (long)count * ImageLength)
            throw new ArgumentException(
                $"images have {(count == 0 ? images.Length : images.Length / count)} values each, but the model expects " +
                $"{Config.InputChannels}×{Config.InputSize}×{Config.InputSize} = {ImageLength}");
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
            var shape = new Nchw(n, Config.InputChannels, Config.InputSize, Config.InputSize);
            var output = Network.Forward(buffer, shape, training: false);
            output.CopyTo(result.AsSpan(start * Dim, n * Dim));
        }
        return result;
    }

    public void Dispose()
    {
        Network.Dispose();
        if (_ownsOps) (_ops as IDisposable)?.Dispose();
    }
}
