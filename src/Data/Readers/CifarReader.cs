using System.Formats.Tar;
using System.IO.Compression;
using Lshk.Data.Imaging;

namespace Lshk.Data.Readers;

public enum CifarVersion { Cifar10, Cifar100 }

public enum CifarPart { Train, Test, All }

/// <summary>
/// CIFAR-10 and CIFAR-100 in their official binary versions, read from the extracted folder
/// (<c>cifar-10-batches-bin/</c>, <c>cifar-100-binary/</c>) or straight from the downloaded <c>.tar.gz</c>.
/// A record is the label byte(s) then 3072 pixel bytes: the 1024 red values of the 32×32 image row by row, then
/// green, then blue. CIFAR-10: 1 label byte, files <c>data_batch_1..5.bin</c> (train) and <c>test_batch.bin</c>,
/// names in <c>batches.meta.txt</c>. CIFAR-100: coarse then fine label byte, <c>train.bin</c> and <c>test.bin</c>,
/// names in <c>fine_label_names.txt</c> and <c>coarse_label_names.txt</c>; classes are the 100 fine labels and
/// each class's group is its coarse superclass.
/// </summary>
public static class CifarReader
{
    public const int Side = 32;
    private const int PixelBytes = 3 * Side * Side;

    public static readonly string[] Cifar10Names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    public static string FolderName(CifarVersion v) => v == CifarVersion.Cifar10 ? "cifar-10-batches-bin" : "cifar-100-binary";
    public static string ArchiveName(CifarVersion v) => v == CifarVersion.Cifar10 ? "cifar-10-binary.tar.gz" : "cifar-100-binary.tar.gz";

    public static string[] TrainFiles(CifarVersion v) =>
        v == CifarVersion.Cifar10 ? ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"] : ["train.bin"];

    public static string[] TestFiles(CifarVersion v) => v == CifarVersion.Cifar10 ? ["test_batch.bin"] : ["test.bin"];

    private static string[] MetaFiles(CifarVersion v) =>
        v == CifarVersion.Cifar10 ? ["batches.meta.txt"] : ["fine_label_names.txt", "coarse_label_names.txt"];

    /// <summary>Reads a part of the dataset from a folder, a parent folder, or the .tar.gz archive.</summary>
    public static Dataset Read(string path, CifarVersion version, CifarPart part, PreprocessSettings settings)
    {
        settings.Validated();
        var files = part switch
        {
            CifarPart.Train => TrainFiles(version),
            CifarPart.Test => TestFiles(version),
            _ => [.. TrainFiles(version), .. TestFiles(version)],
        };
        var source = Locate(path, version);
        var contents = source.Read([.. files, .. MetaFiles(version)], required: files);
        int labelBytes = version == CifarVersion.Cifar10 ? 1 : 2;
        int classCount = version == CifarVersion.Cifar10 ? 10 : 100;
        var records = new List<(byte[] Bytes, string Name)>();
        long total = 0;
        foreach (string f in files)
        {
            byte[] bytes = contents[f]!;
            string name = source.NameOf(f);
            int recordSize = labelBytes + PixelBytes;
            if (bytes.Length == 0 || bytes.Length % recordSize != 0)
                throw new DatasetFormatException(name, $"{bytes.Length} bytes is not a whole number of {recordSize}-byte records");
            records.Add((bytes, name));
            total += bytes.Length / recordSize;
        }
        if (total > int.MaxValue / PixelBytes) throw new DatasetFormatException(source.Description, "too many records");
        int n = (int)total;

        // Labels (and, for CIFAR-100, the superclass of every fine class).
        var labels = new int[n];
        var coarseOf = new int[classCount];
        Array.Fill(coarseOf, -1);
        int at = 0;
        foreach (var (bytes, name) in records)
        {
            int count = bytes.Length / (labelBytes + PixelBytes);
            for (int r = 0; r < count; r++, at++)
            {
                int offset = r * (labelBytes + PixelBytes);
                int label = bytes[offset + labelBytes - 1];
                if (label >= classCount) throw new DatasetFormatException(name, $"record {r}: label {label} is not below {classCount}");
                labels[at] = label;
                if (version == CifarVersion.Cifar100)
                {
                    int coarse = bytes[offset];
                    if (coarse >= 20) throw new DatasetFormatException(name, $"record {r}: coarse label {coarse} is not below 20");
                    if (coarseOf[label] >= 0 && coarseOf[label] != coarse)
                        throw new DatasetFormatException(name, $"record {r}: fine class {label} under coarse class {coarse}, earlier under {coarseOf[label]}");
                    coarseOf[label] = coarse;
                }
            }
        }

        string[] names, groups;
        string[]? classGroups = null;
        if (version == CifarVersion.Cifar10)
            names = Names(contents["batches.meta.txt"], source.NameOf("batches.meta.txt"), 10) ?? Cifar10Names;
        else
        {
            names = Names(contents["fine_label_names.txt"], source.NameOf("fine_label_names.txt"), 100)
                    ?? Enumerable.Range(0, 100).Select(i => $"fine_{i:D2}").ToArray();
            groups = Names(contents["coarse_label_names.txt"], source.NameOf("coarse_label_names.txt"), 20)
                     ?? Enumerable.Range(0, 20).Select(i => $"coarse_{i:D2}").ToArray();
            classGroups = coarseOf.Select(c => c >= 0 ? groups[c] : "(no images)").ToArray();
        }

        // Pixels: bytes → [0, 1], resized and converted to the chosen channels.
        int size = settings.Size == 0 ? Side : settings.Size;
        int channels = ImagePipeline.ChannelsFor(settings.Channels, 3);
        var pipeline = new ImagePipeline(channels, size, size);
        var images = new float[(long)n * pipeline.ImageLength];
        var starts = new List<(int First, byte[] Bytes)>();
        at = 0;
        foreach (var (bytes, _) in records) { starts.Add((at, bytes)); at += bytes.Length / (labelBytes + PixelBytes); }
        ParallelWork.For(n, i =>
        {
            var (first, bytes) = starts.Last(s => s.First <= i);
            int offset = (i - first) * (labelBytes + PixelBytes) + labelBytes;
            var rgb = new float[PixelBytes];
            for (int p = 0; p < PixelBytes; p++) rgb[p] = bytes[offset + p] / 255f;
            pipeline.Write(ImagePipeline.ConvertChannels(rgb, 3, Side * Side, channels), Side, Side,
                images.AsSpan(i * pipeline.ImageLength, pipeline.ImageLength));
        });
        return new Dataset(images, n, channels, size, size, labels, names, classGroups, source.Description);
    }

    /// <summary>Whether the files of a part are there (in a folder), or may be (in an archive, read only when loading).</summary>
    public static bool HasPart(string path, CifarVersion version, CifarPart part) => Locate(path, version) switch
    {
        FolderSource f => (part == CifarPart.Test ? TestFiles(version) : TrainFiles(version)).Any(n => File.Exists(f.NameOf(n))),
        _ => true,
    };

    /// <summary>The files a part is read from: the archive, or the part's .bin files and the name files in the folder.</summary>
    public static IReadOnlyList<string> SourcePaths(string path, CifarVersion version, CifarPart part)
    {
        var source = Locate(path, version);
        if (source is ArchiveSource) return [source.Description];
        var files = part switch
        {
            CifarPart.Train => TrainFiles(version),
            CifarPart.Test => TestFiles(version),
            _ => [.. TrainFiles(version), .. TestFiles(version)],
        };
        return files.Concat(MetaFiles(version)).Select(source.NameOf).Where(File.Exists).ToArray();
    }

    /// <summary>One name per non-empty line; null when the file is absent (the official names are then used).</summary>
    private static string[]? Names(byte[]? bytes, string name, int expected)
    {
        if (bytes is null) return null;
        string text;
        try { text = new System.Text.UTF8Encoding(false, true).GetString(bytes); }
        catch (System.Text.DecoderFallbackException) { throw new DatasetFormatException(name, "not UTF-8 text"); }
        var lines = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (lines.Length != expected) throw new DatasetFormatException(name, $"{lines.Length} class names, expected {expected}");
        return lines;
    }

    /// <summary>Where the files are: a folder of .bin files, or a .tar.gz archive.</summary>
    private abstract class Source
    {
        public abstract string Description { get; }
        public abstract string NameOf(string file);
        /// <summary>The bytes of each wanted file (null when absent); a missing required file is an error.</summary>
        public abstract Dictionary<string, byte[]?> Read(string[] wanted, string[] required);
    }

    private static Source Locate(string path, CifarVersion version)
    {
        if (File.Exists(path)) return new ArchiveSource(path);
        if (!Directory.Exists(path)) throw new DatasetFormatException(path, "not found");
        string first = TrainFiles(version)[0], test = TestFiles(version)[0];
        foreach (string folder in new[] { path, Path.Combine(path, FolderName(version)) })
            if (File.Exists(Path.Combine(folder, first)) || File.Exists(Path.Combine(folder, test))) return new FolderSource(folder);
        string archive = Path.Combine(path, ArchiveName(version));
        if (File.Exists(archive)) return new ArchiveSource(archive);
        throw new DatasetFormatException(path, $"no {(version == CifarVersion.Cifar10 ? "CIFAR-10" : "CIFAR-100")} binary files " +
                                               $"({first} or {test}, in {FolderName(version)}/ or {ArchiveName(version)})");
    }

    private sealed class FolderSource(string folder) : Source
    {
        public override string Description => folder;
        public override string NameOf(string file) => Path.Combine(folder, file);

        public override Dictionary<string, byte[]?> Read(string[] wanted, string[] required)
        {
            var result = new Dictionary<string, byte[]?>();
            foreach (string f in wanted)
            {
                string p = NameOf(f);
                result[f] = File.Exists(p) ? SourceFiles.ReadAll(p)
                    : required.Contains(f) ? throw new DatasetFormatException(p, "file not found") : null;
            }
            return result;
        }
    }

    private sealed class ArchiveSource(string archive) : Source
    {
        public override string Description => archive;
        public override string NameOf(string file) => DatasetFormatException.Entry(archive, file);

        public override Dictionary<string, byte[]?> Read(string[] wanted, string[] required)
        {
            var result = wanted.ToDictionary(f => f, _ => (byte[]?)null);
            using var file = SourceFiles.OpenRead(archive);
            try
            {
                using var gzip = new GZipStream(file, CompressionMode.Decompress);
                using var tar = new TarReader(gzip);
                while (tar.GetNextEntry() is { } entry)
                {
                    string name = Path.GetFileName(entry.Name.TrimEnd('/'));
                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || !result.ContainsKey(name)) continue;
                    if (entry.Length > SourceFiles.MaxBytes) throw new DatasetFormatException(NameOf(name), $"entry claims {entry.Length} bytes");
                    result[name] = entry.DataStream is null ? [] : SourceFiles.ReadExactly(entry.DataStream, (int)entry.Length, NameOf(name));
                }
            }
            catch (DatasetFormatException) { throw; }
            catch (Exception e) when (e is InvalidDataException or IOException or FormatException or ArgumentException or InvalidOperationException)
            {
                throw new DatasetFormatException(archive, $"corrupt archive ({e.Message})", e);
            }
            foreach (string f in required)
                if (result[f] is null) throw new DatasetFormatException(NameOf(f), "not in the archive");
            return result;
        }
    }
}
