using System.IO.Compression;
using Lshk.Data;
using Lshk.Data.Readers;

namespace Lshk.Tests.Data;

/// <summary>
/// Seeded random corruptions of every format: each variant either loads as a consistent dataset or fails with a
/// one-line <see cref="DatasetFormatException"/> naming the damaged file — never another exception, a hang or a crash.
/// </summary>
public sealed class DataFuzzTests : IDisposable
{
    private const int Trials = 300;
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static byte[] Mutate(byte[] valid, Random rng, int protect = 0)
    {
        var b = new List<byte>(valid);
        for (int edits = rng.Next(1, 4); edits > 0; edits--)
        {
            int lo = Math.Min(protect, b.Count);
            switch (rng.Next(6))
            {
                case 0: if (b.Count > lo) { int i = rng.Next(lo, b.Count); b[i] ^= (byte)(1 << rng.Next(8)); } break;
                case 1: if (b.Count > lo) b[rng.Next(lo, b.Count)] = (byte)rng.Next(256); break;
                case 2: b.RemoveRange(rng.Next(lo, b.Count + 1) is int cut ? cut : 0, b.Count - cut); break;
                case 3: for (int k = rng.Next(1, 40); k > 0; k--) b.Add((byte)rng.Next(256)); break;
                case 4: // overwrite a run
                    if (b.Count > lo) { int at = rng.Next(lo, b.Count); for (int k = 0; k < rng.Next(1, 16) && at + k < b.Count; k++) b[at + k] = (byte)rng.Next(256); }
                    break;
                default: // delete a run
                    if (b.Count > lo) { int at = rng.Next(lo, b.Count); b.RemoveRange(at, Math.Min(b.Count - at, rng.Next(1, 32))); }
                    break;
            }
        }
        return b.ToArray();
    }

    private static void AssertConsistent(Dataset d)
    {
        Assert.Equal(d.Count, d.Labels.Length);
        Assert.Equal((long)d.Count * d.ImageLength, d.Images.LongLength);
        Assert.All(d.Labels, l => Assert.InRange(l, 0, d.ClassCount - 1));
        foreach (float v in d.Images) if (!(v >= 0f && v <= 1f)) Assert.Fail($"pixel value {v} outside [0, 1]");
    }

    /// <summary>Runs <paramref name="read"/> on a variant; returns whether it loaded.</summary>
    private static bool LoadsOrFailsCleanly(Func<Dataset> read, string mustName)
    {
        try
        {
            AssertConsistent(read());
            return true;
        }
        catch (DatasetFormatException e)
        {
            Assert.Contains(mustName, e.FilePath);
            Assert.StartsWith(e.FilePath + ": ", e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.DoesNotContain('\r', e.Message);
            return false;
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            Assert.Fail($"{mustName}: {e.GetType().Name}: {e.Message}");
            return false;
        }
    }

    private static void AssertBothOutcomes(int loaded, int rejected)
    {
        Assert.True(loaded >= 5, $"only {loaded} variants loaded");
        Assert.True(rejected >= Trials / 4, $"only {rejected} variants rejected");
    }

    private byte[] OmniglotZip(bool stored)
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
            for (int i = 0; i < 6; i++)
            {
                var entry = zip.CreateEntry($"images_background/Alpha{i / 4}/character{i % 4 / 2 + 1:D2}/{i:D4}_0{i % 2 + 1}.png",
                    stored ? CompressionLevel.NoCompression : CompressionLevel.Fastest);
                using var s = entry.Open();
                s.Write(DataFiles.Png(12, 12, (x, y) => (x * y + i) % 5 == 0 ? (byte)0 : (byte)255));
            }
        return ms.ToArray();
    }

    [Fact]
    public void CorruptedOmniglotZips()
    {
        var rng = new Random(301);
        int loaded = 0, rejected = 0;
        byte[][] valid = [OmniglotZip(stored: true), OmniglotZip(stored: false)];
        for (int t = 0; t < Trials; t++)
        {
            string path = _tmp.File($"omniglot-{t}.zip");
            File.WriteAllBytes(path, Mutate(valid[t % 2], rng));
            if (LoadsOrFailsCleanly(() => OmniglotReader.Read(path, new PreprocessSettings(8)), path)) loaded++; else rejected++;
            File.Delete(path);
        }
        AssertBothOutcomes(loaded, rejected);
    }

    [Fact]
    public void CorruptedIdxFiles()
    {
        var rng = new Random(302);
        int loaded = 0, rejected = 0;
        var pixels = Enumerable.Range(0, 5 * 784).Select(i => (byte)(i % 256)).ToArray();
        byte[] images = DataFiles.Idx([5, 28, 28], pixels), labels = DataFiles.Idx([5], [0, 1, 2, 3, 9]);
        for (int t = 0; t < Trials; t++)
        {
            bool gz = t % 3 == 0, damageLabels = t % 4 == 1;
            string imagePath = _tmp.File($"i{t}"), labelPath = _tmp.File($"l{t}");
            byte[] i = damageLabels ? images : Mutate(images, rng, protect: t % 2 == 0 ? 0 : 4);
            byte[] l = damageLabels ? Mutate(labels, rng) : labels;
            File.WriteAllBytes(imagePath, gz ? DataFiles.Gzip(i) : i);
            File.WriteAllBytes(labelPath, gz ? DataFiles.Gzip(l) : l);
            if (LoadsOrFailsCleanly(() => MnistReader.Read(imagePath, labelPath, PreprocessSettings.Default), damageLabels ? labelPath : imagePath)) loaded++;
            else rejected++;
        }
        AssertBothOutcomes(loaded, rejected);
    }

    [Fact]
    public void CorruptedGzipStreams()
    {
        var rng = new Random(303);
        int rejected = 0, loaded = 0;
        byte[] gz = DataFiles.Gzip(DataFiles.Idx([3], [1, 2, 3]));
        for (int t = 0; t < Trials; t++)
        {
            string path = _tmp.File($"g{t}.gz");
            File.WriteAllBytes(path, Mutate(gz, rng, protect: 2));
            try
            {
                var (dims, data) = IdxFile.ReadBytes(path, 1);
                Assert.Equal(dims[0], data.Length);
                loaded++;
            }
            catch (DatasetFormatException e) { Assert.StartsWith(path + ": ", e.Message); rejected++; }
        }
        Assert.True(rejected > Trials / 2, $"only {rejected} rejected");
    }

    [Fact]
    public void CorruptedCifarRecords()
    {
        var rng = new Random(304);
        int loaded = 0, rejected = 0;
        string folder = Path.Combine(_tmp.Path, "cifar-100-binary");
        Directory.CreateDirectory(folder);
        byte[] valid = [.. DataFiles.CifarRecord(1, 3, 30), .. DataFiles.CifarRecord(2, 4, 40), .. DataFiles.CifarRecord(3, 3, 31)];
        string file = Path.Combine(folder, "test.bin");
        for (int t = 0; t < Trials; t++)
        {
            // Damage the label bytes as often as the pixels: labels decide validity.
            var bytes = (byte[])valid.Clone();
            if (t % 2 == 0)
                for (int k = rng.Next(1, 3); k > 0; k--) bytes[rng.Next(3) * 3074 + rng.Next(2)] = (byte)rng.Next(256);
            else bytes = Mutate(bytes, rng);
            File.WriteAllBytes(file, bytes);
            if (LoadsOrFailsCleanly(() => CifarReader.Read(folder, CifarVersion.Cifar100, CifarPart.Test, PreprocessSettings.Default), file)) loaded++;
            else rejected++;
        }
        AssertBothOutcomes(loaded, rejected);
    }

    [Fact]
    public void CorruptedImagesInAFolder()
    {
        var rng = new Random(305);
        int loaded = 0, rejected = 0;
        string root = Path.Combine(_tmp.Path, "folder");
        foreach (string c in new[] { "a", "b" }) Directory.CreateDirectory(Path.Combine(root, c));
        File.WriteAllBytes(Path.Combine(root, "a", "good.png"), DataFiles.Png(9, 9, (x, y) => (byte)(x * 20)));
        byte[][] valid =
        [
            DataFiles.Png(10, 7, (x, y) => (byte)(x * y * 3)),
            DataFiles.RgbImage(8, 8, (x, y) => new SixLabors.ImageSharp.PixelFormats.Rgb24((byte)(x * 30), (byte)y, 7), "jpg"),
            DataFiles.RgbImage(6, 5, (x, y) => new SixLabors.ImageSharp.PixelFormats.Rgb24((byte)x, (byte)(y * 40), 200), "bmp"),
        ];
        string[] names = ["x.png", "x.jpg", "x.bmp"];
        for (int t = 0; t < Trials; t++)
        {
            foreach (string f in Directory.GetFiles(Path.Combine(root, "b"))) File.Delete(f);
            string path = Path.Combine(root, "b", names[t % 3]);
            File.WriteAllBytes(path, Mutate(valid[t % 3], rng, protect: t % 2 == 0 ? 0 : 8));
            if (LoadsOrFailsCleanly(() => ImageFolderReader.Read(root, new PreprocessSettings(6)), path)) loaded++; else rejected++;
        }
        AssertBothOutcomes(loaded, rejected);
    }
}
