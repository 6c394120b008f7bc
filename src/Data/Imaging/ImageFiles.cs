using System.Security.Cryptography;
using Lshk.Data;
using Lshk.Data.Imaging;
using Lshk.Data.Readers;

namespace Lshk.Data.Imaging;

/// <summary>Images read from files, prepared for a model: N × C×H×W floats, with each file's path and SHA-256.</summary>
public sealed record ImageBatch(IReadOnlyList<string> Paths, float[] Pixels, IReadOnlyList<byte[]> ContentHashes)
{
    public int Count => Paths.Count;
}

/// <summary>
/// Finds image files (PNG, JPEG, BMP) — the one folder walk of lshk, used by the image-folder dataset, embed, enroll
/// and classify — and prepares them exactly as the model's training data was prepared
/// (<see cref="ImagePreprocessing"/>): decoded with the dataset readers' decoder, converted to the model's channels
/// (gray → repeated; colour → luminance, as <see cref="ImageFolderReader"/>), inverted when the model was trained on
/// dark strokes on light paper (ink = 1, as <see cref="OmniglotReader"/>), resized with the readers' area resize
/// and normalised with the model's mean/std. For an Omniglot PNG this gives bit for bit the tensor the Omniglot
/// reader gives.
/// </summary>
public static class ImageFiles
{
    /// <summary>The image file extensions looked for in folders (case ignored).</summary>
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp"];

    /// <summary>A visible file with an image extension.</summary>
    public static bool IsImageFile(string path) =>
        Extensions.Contains(Path.GetExtension(path).ToLowerInvariant()) && !IsHidden(Path.GetFileName(path));

    /// <summary>Entries every folder walk skips: hidden ones (".DS_Store", ".git") and macOS archive debris (__MACOSX).</summary>
    public static bool IsHidden(string name) => name.StartsWith('.') || name == "__MACOSX";

    /// <summary>
    /// The files named, in order: a file is taken as given (whatever its extension); a folder contributes its image
    /// files, searched recursively, in ordinal order of their path under it (hidden entries and __MACOSX skipped).
    /// </summary>
    public static IReadOnlyList<string> Find(IEnumerable<string> inputs)
    {
        var files = new List<string>();
        foreach (string input in inputs)
        {
            if (File.Exists(input)) files.Add(input);
            else if (Directory.Exists(input))
            {
                var found = ImagesUnder(input);
                if (found.Count == 0)
                    throw new DatasetFormatException(input, $"no image files ({string.Join(", ", Extensions)}) in this folder");
                files.AddRange(found);
            }
            else throw new DatasetFormatException(input, "no such file or folder");
        }
        return files;
    }

    /// <summary>
    /// A support folder: one subfolder per class (ordinal order of names), each holding that class's images
    /// (searched recursively). A class folder without images is an error; files beside the class folders are ignored.
    /// </summary>
    public static IReadOnlyList<(string Class, IReadOnlyList<string> Files)> ClassFolders(string root)
    {
        if (!Directory.Exists(root))
            throw new DatasetFormatException(root, File.Exists(root) ? "expected a folder with one subfolder of images per class" : "folder not found");
        var classes = Directory.GetDirectories(root).Where(d => !IsHidden(Path.GetFileName(d)))
            .OrderBy(d => Path.GetFileName(d), StringComparer.Ordinal)
            .Select(d => (Class: Path.GetFileName(d), Files: (IReadOnlyList<string>)ImagesUnder(d)))
            .ToList();
        if (classes.Count == 0) throw new DatasetFormatException(root, "no class folders (expected one subfolder of images per class)");
        foreach (var (name, files) in classes)
            if (files.Count == 0)
                throw new DatasetFormatException(Path.Combine(root, name), $"class folder has no images ({string.Join(", ", Extensions)})");
        return classes;
    }

    /// <summary>
    /// Reads, hashes and prepares the files (in parallel). Files for which <paramref name="keep"/> (given the index
    /// and the file's SHA-256) says false are left out without being decoded.
    /// </summary>
    public static ImageBatch Load(IReadOnlyList<string> files, ImagePreprocessing preprocessing, Func<int, byte[], bool>? keep = null)
    {
        var prepared = new float[files.Count][];
        var hashes = new byte[files.Count][];
        var pipeline = new ImagePipeline(preprocessing.Channels, preprocessing.Size, preprocessing.Size);
        var failures = new System.Collections.Concurrent.ConcurrentDictionary<int, Exception>();
        Parallel.For(0, files.Count, (i, state) =>
        {
            try
            {
                byte[] bytes = ReadFile(files[i]);
                hashes[i] = SHA256.HashData(bytes);
                if (keep is null || keep(i, hashes[i])) prepared[i] = Prepare(bytes, files[i], preprocessing, pipeline);
            }
            catch (Exception e)
            {
                failures[i] = e;
                state.Stop();
            }
        });
        // The error of the first bad file, as a plain one-line exception (not an AggregateException).
        if (!failures.IsEmpty) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failures[failures.Keys.Min()]);
        var kept = Enumerable.Range(0, files.Count).Where(i => prepared[i] is not null).ToArray();
        var pixels = new float[(long)kept.Length * pipeline.ImageLength];
        for (int j = 0; j < kept.Length; j++) prepared[kept[j]].CopyTo(pixels, (long)j * pipeline.ImageLength);
        preprocessing.Normalise(pixels);
        return new ImageBatch(kept.Select(i => files[i]).ToArray(), pixels, kept.Select(i => hashes[i]).ToArray());
    }

    /// <summary>One encoded image → Channels×Size×Size floats (before normalisation).</summary>
    public static float[] Prepare(byte[] bytes, string name, ImagePreprocessing preprocessing) =>
        Prepare(bytes, name, preprocessing, new ImagePipeline(preprocessing.Channels, preprocessing.Size, preprocessing.Size));

    private static float[] Prepare(byte[] bytes, string name, ImagePreprocessing preprocessing, ImagePipeline pipeline)
    {
        var image = ImageDecoder.DecodeRgb(bytes, name);
        float[] planes = image.PlanesFor(preprocessing.Channels);
        // Dark strokes on light paper → ink 1, paper 0, before resizing (as the Omniglot reader does).
        if (preprocessing.Invert)
            foreach (ref float v in planes.AsSpan()) v = 1f - v;
        var result = new float[pipeline.ImageLength];
        pipeline.Write(planes, image.Height, image.Width, result);
        return result;
    }

    private static byte[] ReadFile(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetFormatException(path, $"cannot read ({e.Message})", e);
        }
    }

    private static List<string> ImagesUnder(string folder)
    {
        var found = new List<(string Relative, string Path)>();
        var pending = new Stack<string>();
        pending.Push(folder);
        while (pending.Count > 0)
        {
            string dir = pending.Pop();
            foreach (string sub in Directory.GetDirectories(dir))
                if (!IsHidden(Path.GetFileName(sub))) pending.Push(sub);
            foreach (string file in Directory.GetFiles(dir))
                if (IsImageFile(file))
                    found.Add((Path.GetRelativePath(folder, file).Replace('\\', '/'), file));
        }
        return found.OrderBy(f => f.Relative, StringComparer.Ordinal).Select(f => f.Path).ToList();
    }
}
