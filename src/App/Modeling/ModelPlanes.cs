using System.Globalization;
using Lshk.Data;
using Lshk.Kernels;
using Lshk.Lsh;
using Lshk.Nn.ModelFiles;

namespace Lshk.App.Modeling;

/// <summary>
/// Hash planes stored with a model, as hyperplanes (Nn keeps them as plain arrays, Lsh knows hyperplanes; App is
/// where the two meet): reading them back with the family their metadata names, and writing a model file with
/// planes fitted to the embeddings of its training classes.
/// </summary>
public static class ModelPlanes
{
    /// <summary>The model's stored planes, or null when it has none; a family nobody registered is an error naming the file.</summary>
    public static Hyperplanes? Of(Embedder embedder)
    {
        if (embedder.Planes is not { } stored) return null;
        if (!embedder.Metadata.TryGetValue(MetadataKeys.Hash.Family, out var name))
            throw new InvalidDataException($"{embedder.Source}: has hash planes but no '{MetadataKeys.Hash.Family}' naming their family");
        var family = HashFamilies.Get(name, embedder.Source);
        ulong seed = embedder.Metadata.TryGetValue(MetadataKeys.Hash.Seed, out var s) && ulong.TryParse(s, CultureInfo.InvariantCulture, out var v) ? v : 0;
        return new Hyperplanes(family, stored.Count, stored.Dim, stored.Weight, stored.Bias, seed, 0);
    }

    /// <summary>The stored planes when the model has them and they are of <paramref name="family"/>, else null.</summary>
    public static Hyperplanes? Of(Embedder embedder, IHashFamily family) =>
        Of(embedder) is { } planes && planes.Family == family ? planes : null;

    /// <summary>
    /// Fits <paramref name="planes"/> planes of a fitted family to the model's embeddings of <paramref name="training"/>
    /// (the training classes only) and writes the model file again, with them, to <paramref name="output"/>.
    /// </summary>
    public static Hyperplanes Fit(Embedder embedder, Dataset training, IHashFamily family, int planes, ulong seed, Stream output)
    {
        var fitted = family as IFittedHashFamily
            ?? throw new SettingException("hash", $"'{family.Name}' is {HashFamilies.Describe(family.Kind)}; only families fitted to training embeddings are stored with a model");
        if (planes < 1) throw new SettingException("planes", $"must be at least 1 (got {planes})");
        var result = fitted.Fit(embedder.Embed(training), embedder.Dim, planes, seed);
        var metadata = new Dictionary<string, string>
        {
            [MetadataKeys.Hash.Family] = family.Name,
            [MetadataKeys.Hash.Seed] = seed.ToString(CultureInfo.InvariantCulture),
            [MetadataKeys.Hash.FittedOn] = $"{training.Source}: {training.ClassCount} training classes, {training.Count} images",
        };
        byte[] model = File.ReadAllBytes(embedder.Source);
        var stored = new StoredPlanes(result.Count, result.Dim, result.Normals, result.Offsets ?? new float[result.Count]);
        ModelFile.WithPlanes(model, embedder.Source, stored, metadata, output);
        return result;
    }
}
