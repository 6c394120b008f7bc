using System.Globalization;
using Lshk.Data;
using Lshk.Lsh;
using Lshk.Lsh.Quantization;
using Lshk.Nn.ModelFiles;

namespace Lshk.App.Modeling;

/// <summary>
/// Product-quantiser codebooks stored with a model, as <see cref="ProductCodebook"/>s (Nn keeps plain arrays, Lsh
/// knows codebooks; App is where they meet, as <see cref="ModelPlanes"/> does for planes): reading one back with the
/// family its metadata names, and writing a model file with one fitted to the embeddings of its training classes.
/// </summary>
public static class ModelCodebooks
{
    /// <summary>The model's stored codebook, or null when it has none; a family that is not a codebook family is an error naming the file.</summary>
    public static ProductCodebook? Of(Embedder embedder)
    {
        if (embedder.Codebook is not { } stored) return null;
        if (!embedder.Metadata.TryGetValue(MetadataKeys.Codebook.Family, out var name))
            throw new InvalidDataException($"{embedder.Source}: has a codebook but no '{MetadataKeys.Codebook.Family}' naming its family");
        var family = HashFamilies.Get(name, embedder.Source);
        if (family.Kind != HashFamilyKind.Codebook)
            throw new InvalidDataException($"{embedder.Source}: its codebook names '{family.Name}', which is {HashFamilies.Describe(family.Kind)}, not a codebook family");
        ulong seed = embedder.Metadata.TryGetValue(MetadataKeys.Codebook.Seed, out var s) && ulong.TryParse(s, CultureInfo.InvariantCulture, out var v) ? v : 0;
        return new ProductCodebook(family, stored.Dim, stored.Subspaces, stored.Centroids, stored.Mean, seed, stored.Rotation);
    }

    /// <summary>
    /// What <c>fit-hash</c> and <c>train --fit-hash</c> store: a codebook for a codebook family, planes for a fitted
    /// family (<see cref="ModelPlanes.Fit"/>), written with the model to <paramref name="output"/>. Returns what was
    /// fitted, in words ("16 itq planes", "a 64-bit opq codebook").
    /// </summary>
    public static string FitEither(Embedder embedder, Dataset training, IHashFamily family, int count, ulong seed, Stream output) =>
        family is ICodebookFamily codebooks
            ? $"a {Fit(embedder, training, codebooks, count, seed, output).Bits}-bit {family.Name} codebook"
            : $"{ModelPlanes.Fit(embedder, training, family, count, seed, output).Count} {family.Name} planes";

    /// <summary>
    /// Fits a codebook of <paramref name="bits"/> bits of a codebook family to the model's embeddings of
    /// <paramref name="training"/> (the training classes only) and writes the model file again, with it, to <paramref name="output"/>.
    /// </summary>
    public static ProductCodebook Fit(Embedder embedder, Dataset training, ICodebookFamily family, int bits, ulong seed, Stream output)
    {
        var fitted = family.Fit(embedder.Embed(training), embedder.Dim, bits, seed);
        var metadata = new Dictionary<string, string>
        {
            [MetadataKeys.Codebook.Family] = family.Name,
            [MetadataKeys.Codebook.Seed] = seed.ToString(CultureInfo.InvariantCulture),
            [MetadataKeys.Codebook.FittedOn] = $"{training.Source}: {training.ClassCount} training classes, {training.Count} images",
        };
        var stored = new StoredCodebook(fitted.Subspaces, fitted.Dim, fitted.Centroids, fitted.Mean, fitted.Rotation);
        ModelFile.WithCodebook(File.ReadAllBytes(embedder.Source), embedder.Source, stored, metadata, output);
        return fitted;
    }
}
