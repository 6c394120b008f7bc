using Lshk.Data.Imaging;

namespace Lshk.Data.Readers;

/// <summary>
/// Reads one Omniglot set — <c>images_background</c> or <c>images_evaluation</c> — from the official zip or from the
/// same tree extracted: <c>[images_xxx/]&lt;alphabet&gt;/&lt;characterNN&gt;/&lt;id&gt;_&lt;drawer&gt;.png</c>.
/// Each character is a class and its alphabet the class's group. The 105×105 1-bit PNGs hold black strokes on
/// white; the images come out with ink = 1 and paper = 0, resized (area-averaged) to the chosen size.
/// Classes are ordered by alphabet then character, images by file name (ordinal), so the order never depends on
/// the archive's or the file system's.
/// </summary>
public static class OmniglotReader
{
    public const int NativeSize = 105;

    /// <summary>Reads a set from a zip file or an extracted folder.</summary>
    public static Dataset Read(string path, PreprocessSettings settings)
    {
        settings.Validated();
        if (Directory.Exists(path)) return ReadFolder(path, settings);
        SourceFiles.RequireFile(path);
        return ReadZip(path, settings);
    }

    private sealed record Item(string Alphabet, string Character, string File, string Name, Func<byte[]> Bytes);

    private static Dataset ReadZip(string path, PreprocessSettings settings)
    {
        using var zip = SourceFiles.OpenZip(path);
        var entries = new List<(string[] Parts, System.IO.Compression.ZipArchiveEntry Entry)>();
        foreach (var entry in SourceFiles.Entries(zip, path))
        {
            string full = entry.FullName.Replace('\\', '/');
            if (full.EndsWith('/') || IsSystemFile(full)) continue;    // folders, __MACOSX/, .DS_Store
            entries.Add((full.Split('/'), entry));
        }
        if (entries.Count == 0) throw new DatasetFormatException(path, "the zip holds no images");
        // The official zips have a top folder (images_background/…); accept the tree without it too.
        int depth = entries[0].Parts.Length;
        var items = new List<Item>(entries.Count);
        foreach (var (parts, entry) in entries)
        {
            string name = DatasetFormatException.Entry(path, entry.FullName);
            if (parts.Length != depth || depth is < 3 or > 4 || parts.Any(p => p.Length == 0))
                throw new DatasetFormatException(name, "not in the Omniglot layout [images_xxx/]alphabet/character/image.png");
            if (depth == 4 && parts[0] != entries[0].Parts[0])
                throw new DatasetFormatException(name, $"outside the top folder '{entries[0].Parts[0]}'");
            int a = depth - 3;
            var e = entry;
            items.Add(new Item(parts[a], parts[a + 1], parts[a + 2], name, () => SourceFiles.ReadEntry(e, path)));
        }
        // ZipArchive is not thread-safe: inflate every entry first (a few MB), then decode in parallel.
        items.Sort(Compare);
        var bytes = items.Select(i => i.Bytes()).ToArray();
        return Build(items, i => bytes[i], settings, path);
    }

    private static Dataset ReadFolder(string root, PreprocessSettings settings)
    {
        var items = new List<Item>();
        foreach (string alphabetDir in Directory.GetDirectories(root))
        {
            string alphabet = Path.GetFileName(alphabetDir);
            if (IsSystemFile(alphabet)) continue;
            foreach (string characterDir in Directory.GetDirectories(alphabetDir))
            {
                string character = Path.GetFileName(characterDir);
                if (IsSystemFile(character)) continue;
                foreach (string file in Directory.GetFiles(characterDir))
                {
                    if (IsSystemFile(Path.GetFileName(file))) continue;
                    string f = file;
                    items.Add(new Item(alphabet, character, Path.GetFileName(file), file, () => SourceFiles.ReadAll(f)));
                }
            }
        }
        if (items.Count == 0) throw new DatasetFormatException(root, "no images in the Omniglot layout alphabet/character/image.png");
        items.Sort(Compare);
        return Build(items, i => items[i].Bytes(), settings, root);
    }

    private static int Compare(Item x, Item y)
    {
        int c = string.CompareOrdinal(x.Alphabet, y.Alphabet);
        if (c == 0) c = string.CompareOrdinal(x.Character, y.Character);
        return c != 0 ? c : string.CompareOrdinal(x.File, y.File);
    }

    internal static bool IsSystemFile(string path) =>
        path.StartsWith("__MACOSX/", StringComparison.Ordinal) || path == "__MACOSX" || Path.GetFileName(path).StartsWith('.');

    private static Dataset Build(List<Item> items, Func<int, byte[]> bytesOf, PreprocessSettings settings, string source)
    {
        // Classes: one per (alphabet, character), in sorted order.
        var classNames = new List<string>();
        var groups = new List<string>();
        var labels = new int[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            string name = items[i].Alphabet + "/" + items[i].Character;
            if (classNames.Count == 0 || classNames[^1] != name) { classNames.Add(name); groups.Add(items[i].Alphabet); }
            labels[i] = classNames.Count - 1;
        }
        int size = settings.Size;
        if (size == 0)
        {
            var first = ImageDecoder.DecodeGray(bytesOf(0), items[0].Name, pngOnly: true);
            if (first.Height != first.Width) throw new DatasetFormatException(items[0].Name, $"image is {first.Width}×{first.Height}, expected a square");
            size = first.Height;
        }
        int channels = ImagePipeline.ChannelsFor(settings.Channels, 1);
        var pipeline = new ImagePipeline(channels, size, size);
        var images = new float[(long)items.Count * pipeline.ImageLength];
        ParallelWork.For(items.Count, i =>
        {
            var image = ImageDecoder.DecodeGray(bytesOf(i), items[i].Name, pngOnly: true);
            if (settings.Size == 0 && (image.Height != size || image.Width != size))
                throw new DatasetFormatException(items[i].Name, $"image is {image.Width}×{image.Height}, the others {size}×{size}");
            // Black strokes on white paper → ink 1, paper 0.
            foreach (ref float v in image.Planes.AsSpan()) v = 1f - v;
            pipeline.Write(image, images.AsSpan(i * pipeline.ImageLength, pipeline.ImageLength));
        });
        return new Dataset(images, items.Count, channels, size, size, labels, classNames, groups, source);
    }
}
