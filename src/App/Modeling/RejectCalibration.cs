using Lshk.Data;
using Lshk.Kernels;
using Lshk.Lsh;
using Lshk.Lsh.Index;

namespace Lshk.App.Modeling;

/// <summary>One match method's open-set threshold and what it does on the calibration queries.</summary>
public sealed record RejectThreshold(MatchMethod Method, double Threshold, double KnownAccepted, double UnknownRejected)
{
    /// <summary>The threshold of <paramref name="method"/> among <paramref name="thresholds"/>, or null when it has none.</summary>
    public static double? For(IReadOnlyList<RejectThreshold> thresholds, MatchMethod method) =>
        thresholds.FirstOrDefault(t => t.Method == method)?.Threshold;

    /// <summary>"hamming ≥ 201 bits" or "asymmetric ≥ 12.5": the threshold in the method's own units.</summary>
    public string Describe() => Method.CountsBits()
        ? $"{Method.Name()} ≥ {Threshold:0} bits"
        : $"{Method.Name()} ≥ {Threshold.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)}";
}

/// <summary>
/// Default open-set thresholds, one per match method, calibrated on the model's training classes (classes it has seen,
/// so held-out drawings of them score about as well as drawings of newly enrolled classes do). Seeded:
/// <see cref="Classes"/> training classes are drawn; each enrols its first drawing, and its second drawing is a "known"
/// query; as many other classes give one "unknown" query each (a class not enrolled). The supports are hashed exactly
/// as the served index hashes (its planes and frozen centre; for an index not created yet, the planes a new one gets,
/// centred on the supports as its first enrolment will be), because a threshold counts agreeing bits of <i>those</i>
/// planes: one calibrated on 256 planes would turn every image away from a 64-bit index. Every query gets its best
/// score by each method in <see cref="Methods"/>; a method's threshold is the <see cref="KnownPercentile"/>th
/// percentile (nearest rank) of the known queries' best scores, so about 95 % of drawings of enrolled classes are
/// accepted, and <see cref="RejectThreshold.UnknownRejected"/> says how many unknown queries it turns away.
/// </summary>
public sealed record RejectCalibration(int Classes, string Hashing, IReadOnlyList<RejectThreshold> Thresholds)
{
    /// <summary>Enrolled (and as many unknown) classes: enough for a stable 5th percentile, quick to embed (~600 images).</summary>
    public const int DefaultClasses = 200;

    /// <summary>The share of known queries that may fall below the threshold, in percent.</summary>
    public const double KnownPercentile = 5;

    /// <summary>
    /// The methods calibrated: those whose score is one support's (a query's best support decides). The majority-code
    /// method scores a class's vote over its supports, whose spread depends on how many each class has, so one drawing
    /// per class cannot calibrate it.
    /// </summary>
    public static IReadOnlyList<MatchMethod> Methods { get; } = [MatchMethod.HammingNearest, MatchMethod.Asymmetric, MatchMethod.CosineNearest];

    /// <summary>The threshold of <paramref name="method"/>, or null when it is not calibrated.</summary>
    public double? For(MatchMethod method) => RejectThreshold.For(Thresholds, method);

    public string Describe() =>
        $"calibrated on {Classes} training classes with {Hashing}: " + string.Join("; ", Thresholds.Select(t =>
            $"{t.Describe()} accepts {t.KnownAccepted:P0} of held-out drawings of enrolled classes, rejects {t.UnknownRejected:P0} of classes not enrolled"));

    /// <summary>
    /// Calibrates for <paramref name="served"/>'s hashing, or (null) for an index the service will create at its first
    /// enrolment with <see cref="HashingChoice.Default"/>.
    /// </summary>
    public static RejectCalibration Calibrate(IComputeBackend backend, Embedder embedder, Dataset training, SupportIndex? served = null,
        int classes = DefaultClasses, ulong seed = 1)
    {
        int[] rows = Rows(training, classes, seed);
        int k = rows.Length / 3;
        var pixels = new float[(long)rows.Length * training.ImageLength];
        for (int r = 0; r < rows.Length; r++) training.Image(rows[r]).CopyTo(pixels.AsSpan(r * training.ImageLength));
        embedder.Preprocessing.Normalise(pixels);
        float[] embeddings = embedder.Embed(pixels, rows.Length);

        int d = embedder.Dim;
        var names = Enumerable.Range(0, k).Select(i => $"c{i}").ToArray();
        var hashes = Enumerable.Range(0, k).Select(i => BitConverter.GetBytes((long)i).Concat(new byte[SupportItems.HashBytes - 8]).ToArray()).ToArray();
        var items = new SupportItems(names, embeddings[..(k * d)], d, hashes);
        var index = served is not null
            ? served.Emptied().Add(backend, items)
            : SupportIndex.Create(backend, embedder.Checksum, HashingChoice.Default.Draw(d), HashingChoice.Default.Center, items);
        string hashing = served is not null ? $"the index's {HashingChoice.Of(served).Describe()}" : $"a new index's {HashingChoice.Default.Describe()}";

        var thresholds = new List<RejectThreshold>();
        foreach (var method in Methods.Where(index.Supports))
        {
            using var classifier = new IndexClassifier(backend, index, method);
            var best = classifier.Classify(embeddings.AsSpan(k * d), 2 * k, top: 1).Select(r => r[0].Score).ToArray();
            var known = best[..k].Order().ToArray();
            double threshold = known[(int)Math.Floor(KnownPercentile / 100 * k)];
            thresholds.Add(new RejectThreshold(method, threshold, known.Count(s => s >= threshold) / (double)k, best[k..].Count(s => s < threshold) / (double)k));
        }
        return new RejectCalibration(k, hashing, thresholds);
    }

    /// <summary>
    /// The dataset rows calibration uses, drawn by <paramref name="seed"/>: k supports (the first drawing of k classes),
    /// then k known queries (their second drawings), then k unknown queries (a drawing each of k other classes).
    /// </summary>
    public static int[] Rows(Dataset training, int classes = DefaultClasses, ulong seed = 1)
    {
        var byClass = training.IndicesByClass().Where(c => c.Length >= 2).ToArray();
        if (byClass.Length < 4) throw new Lshk.Core.InputException(training.Source, $"{byClass.Length} classes with two images are too few to calibrate on");
        new Random(unchecked((int)seed)).Shuffle(byClass);
        int k = Math.Min(classes, byClass.Length / 2);
        var enrolled = byClass[..k];
        var unknown = byClass[k..(2 * k)];
        return [.. enrolled.Select(c => c[0]), .. enrolled.Select(c => c[1]), .. unknown.Select(c => c[0])];
    }
}
