using Lshk.Data;
using Lshk.Data.Npy;
using Lshk.Kernels.Nn;
using Lshk.Nn;
using Lshk.Nn.ModelFiles;
using Spectre.Console;

namespace Lshk.Cli.Commands;

/// <summary>
/// <c>lshk bench train --export DIR</c>: the trained model and a sample of images with their evaluation-mode
/// embeddings, so another framework (bench/peers/torch_model_check.py) can load the model and compare embeddings.
/// </summary>
internal static class BenchTrainExport
{
    public const int SampleImages = 64;

    /// <summary>Writes the export of a network trained <paramref name="steps"/> Adam steps.</summary>
    public static void Write(string folder, Sequential network, ConvNetConfig config, INnOps ops, float[] pixels, Nchw shape,
        int steps, ulong seed, IAnsiConsole console)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: folder does not exist");
        int n = Math.Min(SampleImages, shape.Batch);
        var sampleShape = shape with { Batch = n };
        float[] sample = pixels.AsSpan(0, sampleShape.Length).ToArray();
        using var input = ops.Allocate(sampleShape.Length);
        input.CopyFrom(sample);
        float[] embeddings = network.Forward(input, sampleShape, training: false).ToArray();

        var metadata = new Dictionary<string, string>
        {
            [MetadataKeys.BenchExport.Normalisation] = "none (random pixels in [0, 1))",
            [MetadataKeys.BenchExport.Dataset] = "random images (lshk bench train)",
            [MetadataKeys.BenchExport.Training] = $"Adam, {steps} steps, seed {seed}",
        };
        string model = Path.Combine(folder, "model.safetensors");
        AtomicFile.Write(model, s => ModelFile.Save(s, network, config, metadata));
        NpyFile.WriteFloat32(Path.Combine(folder, "images.npy"), sample, n, shape.Channels, shape.Height, shape.Width);
        NpyFile.WriteFloat32(Path.Combine(folder, "embeddings.npy"), embeddings, n, config.EmbeddingDim);
        console.MarkupLine($"exported {Markup.Escape(model)}, images.npy ({n} images) and embeddings.npy");
    }
}
