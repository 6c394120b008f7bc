using System.CommandLine;
using Lshk.App.Modeling;
using Lshk.Data;
using Lshk.Data.Imaging;
using Lshk.Lsh;
using Lshk.Lsh.Index;

namespace Lshk.Cli.Commands;

/// <summary>
/// <c>lshk enroll</c>: embeds a support folder (one subfolder of images per class) with a model and writes a
/// support index (<see cref="SupportIndexFile"/>: codes, embeddings, class names, planes, centre, the model's
/// checksum). <c>--add DIR</c> appends classes or examples to the existing index at <c>--out</c>: stored items
/// are never re-embedded (files already enrolled in the same class, by SHA-256, are skipped), and the centre stays
/// the one of the first enrolment, so existing codes stay valid; <c>--recenter</c> instead moves the centre to
/// the mean of all embeddings and rehashes every item from its stored embedding. <c>--views K</c> embeds every
/// support as the mean over K test-time views (<see cref="TestTimeViews"/>); the index records them, so additions,
/// <c>classify</c> and <c>serve</c> embed their images the same way.
/// </summary>
internal static class EnrollCommand
{
    public static Command Create()
    {
        var hashing = new HashingOptions();
        var support = new Option<string?>("--support") { Description = "Folder with one subfolder of images per class: a new index" };
        var add = new Option<string?>("--add") { Description = "Folder with one subfolder of images per class, added to the existing index at --out" };
        var output = new Option<string>("--out") { Description = "The index file (.lshi) to write (or, with --add, to update)", Required = true };
        var recenter = new Option<bool>("--recenter") { Description = "With --add: move the centre to the mean of all embeddings and rehash every item (earlier results may change)" };
        var device = CommonOptions.Device();
        var views = new ViewOptions();
        var command = new Command("enroll", "Embed a support folder (one subfolder per class) and store it as an LSH index")
        {
            hashing.Model, support, add, output, hashing.Planes, hashing.Hash, hashing.Seed, hashing.Center, recenter, device,
        };
        foreach (var option in views.All) command.Options.Add(option);
        command.SetAction(parse =>
        {
            string? supportDir = parse.GetValue(support), addDir = parse.GetValue(add);
            if ((supportDir is null) == (addDir is null)) throw new UsageException("give either --support DIR (a new index) or --add DIR (to extend --out)");
            if (parse.GetValue(recenter) && addDir is null) throw new UsageException("--recenter goes with --add");
            string outPath = parse.GetValue(output)!, modelPath = parse.GetValue(hashing.Model)!;
            var err = Output.Error(parse);
            using var backend = CommonOptions.OpenDevice(parse, device);

            var existing = hashing.ReadIndex(parse, addDir is null ? null : outPath);
            var choice = hashing.Resolve(parse);
            var viewing = views.ForIndex(parse, existing, outPath);
            using (var embedder = Embedder.Load(modelPath, backend))
            {
                embedder.Views = viewing;
                SupportIndex index;
                if (existing is null)
                {
                    index = choice.Enrol(backend, embedder, supportDir!);
                    string viewed = index.Views is { } v ? $", each the mean of {v.Describe()}" : "";
                    err.WriteLine($"enrolled {index.Count} images of {index.ClassCount} classes{viewed} on {backend.Device.Name} with {HashingChoice.Of(index).Describe()}");
                }
                else
                {
                    SupportIndexFile.RequireModel(existing, outPath, embedder.Checksum, embedder.Dim, modelPath);
                    int before = existing.ClassCount;
                    var items = embedder.EmbedClassFolders(addDir!, (c, h) => existing.Contains(c, h));
                    int skipped = ImageCount(addDir!) - items.Count;
                    index = items.Count > 0 ? existing.Add(backend, items) : existing;
                    if (parse.GetValue(recenter)) index = index.Recentered(backend, existing.Centred);
                    err.WriteLine($"added {items.Count} images ({index.ClassCount - before} new classes; {skipped} already enrolled) " +
                                  $"→ {index.Count} images of {index.ClassCount} classes{(parse.GetValue(recenter) ? ", re-centred" : "")}");
                    if (items.Count == 0 && !parse.GetValue(recenter)) return 0;
                }
                AtomicFile.Write(outPath, s => SupportIndexFile.Write(s, index));
            }
            return 0;
        });
        return command;
    }

    private static int ImageCount(string folder) => ImageFiles.ClassFolders(folder).Sum(c => c.Files.Count);
}
