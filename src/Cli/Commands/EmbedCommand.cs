using System.CommandLine;
using Lshk.App.Modeling;
using Lshk.Data;
using Lshk.Data.Imaging;
using Lshk.Data.Npy;

namespace Lshk.Cli.Commands;

/// <summary>
/// <c>lshk embed</c>: image files or folders → an N×D float32 .npy of their embeddings, prepared as the model's
/// training images were (size, channels, inversion, normalisation from the model's metadata). The image paths, in
/// row order, go to a text file (one per line, UTF-8): by default the output's name with the extension .txt.
/// </summary>
internal static class EmbedCommand
{
    public static Command Create()
    {
        var model = HashingOptions.ModelOption();
        var images = new Argument<string[]>("images") { Description = "Image files and folders (searched recursively for PNG, JPEG and BMP)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Output .npy of N×D float32 embeddings", Required = true };
        var paths = new Option<string?>("--paths") { Description = "Where to list the image paths, one per line in row order (default: --out with extension .txt)" };
        var device = CommonOptions.Device();
        var views = new ViewOptions();
        var command = new Command("embed", "Embed image files with a model (.npy of N×D float32, plus the list of image paths)")
        {
            model, images, output, paths, device,
        };
        foreach (var option in views.All) command.Options.Add(option);
        command.SetAction(parse =>
        {
            string outPath = parse.GetValue(output)!;
            string pathsPath = parse.GetValue(paths) ?? Path.ChangeExtension(outPath, ".txt");
            if (Path.GetFullPath(pathsPath) == Path.GetFullPath(outPath))
                throw new UsageException($"{outPath}: the embeddings and the path list would be the same file (give --paths)");
            var asked = views.Parse(parse);
            var files = ImageFiles.Find(parse.GetValue(images)!);
            foreach (string f in files)
                if (f.Contains('\n') || f.Contains('\r')) throw new Lshk.Core.InputException($"{f.ReplaceLineEndings(" ")}: a path with a line break cannot be listed");
            using var backend = CommonOptions.OpenDevice(parse, device);
            using (var embedder = Embedder.Load(parse.GetValue(model)!, backend))
            {
                embedder.Views = asked;
                var (batch, embeddings) = embedder.EmbedFiles(files);
                NpyFile.WriteFloat32(outPath, embeddings, batch.Count, embedder.Dim);
                AtomicFile.WriteAllText(pathsPath, string.Concat(batch.Paths.Select(p => p + "\n")));
                Output.Error(parse).WriteLine($"embedded {batch.Count} images to {embedder.Dim}-d vectors{(asked is null ? "" : $" (each the mean of {asked.Count} views)")} on {backend.Device.Name}: {outPath}, paths in {pathsPath}");
            }
            return 0;
        });
        return command;
    }
}
