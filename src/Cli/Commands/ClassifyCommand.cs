using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Lshk.App.Modeling;
using Lshk.Data.Imaging;
using Lshk.Lsh;
using Lshk.Lsh.Index;

namespace Lshk.Cli.Commands;

/// <summary>
/// <c>lshk classify</c>: the predicted class and the top class scores of each image, against an index made by
/// <c>enroll</c> (same model, checked by checksum) or a support folder enrolled on the fly. Scores: XNOR counts
/// for the Hamming methods, cosine similarities for cosine. Plain text, or with <c>--json</c> one JSON array with
/// an object per image: {"image", "class", "top": [{"class", "score"}, …]} (<see cref="ClassificationJson"/>, shared
/// with <c>lshk serve</c>). <c>--reject X</c>: an image whose best score is below X gets no class. Images are embedded
/// under the index's test-time views (or, with <c>--support</c>, under <c>--views</c>, supports and images alike).
/// </summary>
internal static class ClassifyCommand
{
    private const string Rejected = "-";

    public static Command Create()
    {
        var hashing = new HashingOptions();
        var indexOption = new Option<string?>("--index") { Description = "Support index (.lshi) made by lshk enroll with this model" };
        var support = new Option<string?>("--support") { Description = "Support folder (one subfolder of images per class), enrolled on the fly" };
        var images = new Argument<string[]>("images") { Description = "Image files and folders (searched recursively for PNG, JPEG and BMP)", Arity = ArgumentArity.OneOrMore };
        var top = new Option<int>("--top") { Description = "Classes listed per image", DefaultValueFactory = _ => 5 };
        var method = new Option<string?>("--method") { Description = "hamming (nearest support code; the default for plane codes), hamming-proto (nearest class majority code), cosine (nearest support embedding) or asymmetric (supports as bits, the query's real projections; with pq/opq codes, the default: cosine to each support's reconstruction)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON array with an object per image" };
        var reject = new Option<double?>("--reject") { Description = "Open set: an image whose best score is below this (in the method's score units: bits for hamming) gets no class (\"-\" in text, null in JSON), with its top list" };
        var device = CommonOptions.Device();
        var tracing = new TraceOptions();
        var views = new ViewOptions();
        var command = new Command("classify", "Classify images against an enrolled index or a support folder")
        {
            hashing.Model, indexOption, support, images, top, method, json, reject, hashing.Planes, hashing.Hash, hashing.Seed, hashing.Center, device,
        };
        foreach (var option in tracing.All.Concat(views.All)) command.Options.Add(option);
        command.SetAction(parse =>
        {
            var trace = CommandTrace.Start(parse, tracing, "classify");
            string? indexPath = parse.GetValue(indexOption), supportDir = parse.GetValue(support);
            if ((indexPath is null) == (supportDir is null)) throw new UsageException("give either --index FILE or --support DIR");
            int topK = parse.GetValue(top);
            UsageException.RequirePositive(topK, "--top");
            var asked = parse.GetValue(method) is { } m ? MatchMethods.ParseForIndex(m) : (MatchMethod?)null;
            string modelPath = parse.GetValue(hashing.Model)!;
            var files = ImageFiles.Find(parse.GetValue(images)!);
            using var backend = trace.Wrap(CommonOptions.OpenDevice(parse, device));

            var stored = hashing.ReadIndex(parse, indexPath);
            var choice = hashing.Resolve(parse);
            var viewing = views.ForIndex(parse, stored, indexPath);
            using (var embedder = Embedder.Load(modelPath, backend))
            {
                if (stored is not null) SupportIndexFile.RequireModel(stored, indexPath!, embedder.Checksum, embedder.Dim, modelPath);
                embedder.Views = viewing;
                var index = stored ?? choice.Enrol(backend, embedder, supportDir!);
                var matching = asked ?? index.DefaultMethod;
                if (!index.Supports(matching))
                    throw new UsageException($"--method {matching.Name()}: {index.Family.Name} codes are product-quantiser bytes, not a Hamming code; use --method asymmetric or cosine");
                var (batch, embeddings) = embedder.EmbedFiles(files);
                using var classifier = new IndexClassifier(backend, index, matching);
                var results = classifier.Classify(embeddings, batch.Count, topK);
                var output = parse.InvocationConfiguration.Output;
                double? threshold = parse.GetValue(reject);
                if (parse.GetValue(json)) WriteJson(output, batch.Paths, results, index, matching, threshold);
                else WriteText(output, batch.Paths, results, index, matching, threshold);
                Output.Error(parse).WriteLine($"classified {batch.Count} images against {index.Count} supports of {index.ClassCount} classes " +
                                              $"({matching.Name()}, {index.Bits}-bit {index.Family.Name} codes{(index.Views is { } v ? ", " + v.Describe() : "")}) on {backend.Device.Name}");
            }
            trace.Finish();
            return 0;
        });
        return command;
    }

    private static string Score(double score, MatchMethod method) =>
        method.CountsBits() ? ((long)score).ToString(CultureInfo.InvariantCulture) : score.ToString("F4", CultureInfo.InvariantCulture);

    private static void WriteText(TextWriter output, IReadOnlyList<string> paths, ClassScore[][] results, SupportIndex index, MatchMethod method, double? reject)
    {
        for (int i = 0; i < paths.Count; i++)
        {
            var r = results[i];
            string rest = string.Join(", ", r.Select(s => $"{index.ClassNames[s.Class]} {Score(s.Score, method)}"));
            // A rejected image (best score below --reject) or an empty index: "-" for the class, "none of these".
            string predicted = ClassificationJson.Prediction(r, reject) is { } c ? index.ClassNames[c] : Rejected;
            string best = r.Length > 0 ? Score(r[0].Score, method) : Rejected;
            output.WriteLine($"{paths[i]}\t{predicted}\t{best}\t[{rest}]");
        }
    }

    private static void WriteJson(TextWriter output, IReadOnlyList<string> paths, ClassScore[][] results, SupportIndex index, MatchMethod method, double? reject)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            ClassificationJson.Write(writer, paths, results, index, method, reject);
        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
