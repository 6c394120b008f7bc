using Lshk.Data;
using Lshk.Kernels;
using Lshk.Lsh;
using Lshk.Lsh.Index;

namespace Lshk.App.Modeling;

/// <summary>
/// A default open-set threshold, calibrated on the model's training classes (classes it has seen, so held-out
/// drawings of them score about as well as drawings of newly enrolled classes do). Seeded: <see cref="Classes"/>
/// training classes are drawn; each enrols its first drawing, and its second drawing is a "known" query; as many other
/// classes give one "unknown" query each (a class not enrolled). The supports are hashed as a new index would be
/// (<see cref="HashingChoice.Default"/>: 256 Gaussian planes centred on the supports' mean), and every query gets its
/// best Hamming score (XNOR count of its nearest support). The threshold is the <see cref="KnownPercentile"/>th
/// percentile (nearest rank) of the known queries' best scores: about 95 % of drawings of enrolled classes are
/// accepted. <see cref="UnknownRejected"/> says how many unknown queries it turns away.
/// </summary>
public sealed record RejectCalibration(double Threshold, int Classes, double KnownAccepted, double UnknownRejected)
{
    /// <summary>Enrolled (and as many unknown) classes: enough for a stable 5th percentile, quick to embed (~600 images).</summary>
    public const int DefaultClasses = 200;

    /// <summary>The share of known queries that may fall below the threshold, in percent.</summary>
    public const double KnownPercentile = 5;

    public string Describe() =>
        $"calibrated on {Classes} training classes: accepts {KnownAccepted:P0} of held-out drawings of enrolled classes, " +
        $"rejects {UnknownRejected:P0} of drawings of classes not enrolled";

    public static RejectCalibration Calibrate(IComputeBackend backend, Embedder embedder, Dataset training, int classes = DefaultClasses, ulong seed = 1)
    {
        var byClass = training.IndicesByClass().Where(c => c.Length >= 2).ToArray();
        if (byClass.Length < 4) throw new Lshk.Core.InputException(training.Source, $"{byClass.Length} classes with two images are too few to calibrate on");
        new Random(unchecked((int)seed)).Shuffle(byClass);
        int k = Math.Min(classes, byClass.Length / 2);
        var enrolled = byClass[..k];
        var unknown = byClass[k..(2 * k)];
        // Rows: k supports, k known queries, k unknown queries.
        int[] rows = [.. enrolled.Select(c => c[0]), .. enrolled.Select(c => c[1]), .. unknown.Select(c => c[0])];
        var pixels = new float[(long)rows.Length * training.ImageLength];
        for (int r = 0; r < rows.Length; r++) training.Image(rows[r]).CopyTo(pixels.AsSpan(r * training.ImageLength));
        embedder.Preprocessing.Normalise(pixels);
        float[] embeddings = embedder.Embed(pixels, rows.Length);

        int d = embedder.Dim;
        var names = Enumerable.Range(0, k).Select(i => $"c{i}").ToArray();
        var hashes = Enumerable.Range(0, k).Select(i => BitConverter.GetBytes((long)i).Concat(new byte[SupportItems.HashBytes - 8]).ToArray()).ToArray();
        var items = new SupportItems(names, embeddings[..(k * d)], d, hashes);
        var choice = HashingChoice.Default;
        var index = SupportIndex.Create(backend, embedder.Checksum, Hyperplanes.Generate(choice.Family, choice.Planes, d, choice.Seed), choice.Center, items);
        using var classifier = new IndexClassifier(backend, index, MatchMethod.HammingNearest);
        var best = classifier.Classify(embeddings.AsSpan(k * d), 2 * k, top: 1).Select(r => r[0].Score).ToArray();
        var known = best[..k].Order().ToArray();
        double threshold = known[(int)Math.Floor(KnownPercentile / 100 * k)];
        return new RejectCalibration(threshold, k, known.Count(s => s >= threshold) / (double)k, best[k..].Count(s => s < threshold) / (double)k);
    }
}
