using Lshk.Kernels.Cpu;
using Lshk.Lsh;
using Lshk.Lsh.Index;
using Lshk.Tests.Data;

namespace Lshk.Tests.Cli;

public class EnrollCommandTests
{
    /// <summary>A support folder of Omniglot drawings: one class folder per character, the given drawings of each.</summary>
    internal static string SupportFolder(TempFolder dir, string name, int characters, int drawings, int skipCharacters = 0, int skipDrawings = 0)
    {
        string extracted = dir.File(name + "-all");
        var names = ClassifyTestModels.ExtractEvaluation(extracted, characters, skipDrawings + drawings, skipCharacters);
        string root = dir.File(name);
        foreach (string n in names)
        {
            string cls = Directory.CreateDirectory(Path.Combine(root, n.Replace('/', '_'))).FullName;
            foreach (string f in Directory.GetFiles(Path.Combine(extracted, n)).Order(StringComparer.Ordinal).Skip(skipDrawings))
                File.Copy(f, Path.Combine(cls, Path.GetFileName(f)));
        }
        return root;
    }

    [Fact]
    public void EnrolsAFolderAndAddsToIt()
    {
        using var dir = new TempFolder();
        string model = ClassifyTestModels.SaveRandom(dir.File("m.safetensors"), ClassifyTestModels.Omniglot);
        string first = SupportFolder(dir, "first", characters: 3, drawings: 2);
        string index = dir.File("i.lshi");
        var (code, _, err) = CliRunner.Run("enroll", "--model", model, "--support", first, "--out", index, "--device", "cpu");
        Assert.True(code == 0, err);
        Assert.StartsWith("enrolled 6 images of 3 classes on ", err);
        Assert.EndsWith(" with 256 gaussian planes (seed 1), centring on", err.TrimEnd());
        var enrolled = SupportIndexFile.Read(index);
        using (var backend = new CpuBackend())
        using (var embedder = Lshk.App.Modeling.Embedder.Load(model, backend))
        {
            Assert.Equal(embedder.Checksum, enrolled.ModelChecksum);
            Assert.Equal(embedder.Dim, enrolled.Dim);
        }
        Assert.Equal(256, enrolled.Bits);
        Assert.Equal(PlaneFamily.Gaussian, enrolled.Planes.Family);
        Assert.Equal(Hyperplanes.Generate(PlaneFamily.Gaussian, 256, enrolled.Dim, 1).Normals, enrolled.Planes.Normals);
        Assert.NotNull(enrolled.Center);
        Assert.Equal(Directory.GetDirectories(first).Select(Path.GetFileName).Order(StringComparer.Ordinal), enrolled.ClassNames);

        // Add: two new classes, one new drawing of an enrolled class, and the already enrolled drawings again.
        string more = SupportFolder(dir, "more", characters: 2, drawings: 1, skipCharacters: 3);
        string newDrawing = Directory.GetFiles(Directory.GetDirectories(more)[0]).Single();
        string oldClass = Directory.GetDirectories(first).Order(StringComparer.Ordinal).First();
        string again = Directory.CreateDirectory(Path.Combine(more, Path.GetFileName(oldClass))).FullName;
        foreach (string f in Directory.GetFiles(oldClass)) File.Copy(f, Path.Combine(again, Path.GetFileName(f)));
        // A drawing not enrolled yet, added to the first class (its content is new to that class).
        File.Copy(newDrawing, Path.Combine(again, "new-drawing.png"));
        (code, _, err) = CliRunner.Run("enroll", "--model", model, "--add", more, "--out", index, "--device", "cpu");
        Assert.True(code == 0, err);
        Assert.Contains("added 3 images (2 new classes; 2 already enrolled) → 9 images of 5 classes", err);
        var added = SupportIndexFile.Read(index);
        Assert.Equal(enrolled.ClassNames, added.ClassNames.Take(3));
        Assert.Equal(enrolled.Codes.ToArray(), added.Codes[..enrolled.Codes.Length].ToArray());
        Assert.Equal(enrolled.Embeddings.ToArray(), added.Embeddings[..enrolled.Embeddings.Length].ToArray());
        Assert.Equal(enrolled.Center, added.Center);
        // The new drawing of the first class went to that class (id 0), the rest to the new classes.
        Assert.Equal(new[] { 0, 0, 1, 1, 2, 2, 3, 4, 0 }.Order(), added.Labels.ToArray().Order());

        // Adding the same folder again embeds nothing and leaves the file alone.
        var stamp = File.GetLastWriteTimeUtc(index);
        (code, _, err) = CliRunner.Run("enroll", "--model", model, "--add", more, "--out", index, "--device", "cpu");
        Assert.True(code == 0, err);
        Assert.Contains("added 0 images (0 new classes; 5 already enrolled)", err);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(index));

        // --recenter: the mean of all 9 embeddings.
        (code, _, err) = CliRunner.Run("enroll", "--model", model, "--add", more, "--out", index, "--recenter", "--device", "cpu");
        Assert.True(code == 0, err);
        var recentred = SupportIndexFile.Read(index);
        var all = added.Embeddings.ToArray();
        for (int j = 0; j < added.Dim; j++)
            Assert.Equal(Enumerable.Range(0, 9).Average(i => (double)all[i * added.Dim + j]), recentred.Center![j], 1e-5);
    }

    [Fact]
    public void MismatchesAndBadFoldersAreOneLineErrors()
    {
        using var dir = new TempFolder();
        string model = ClassifyTestModels.SaveRandom(dir.File("m.safetensors"), ClassifyTestModels.Omniglot);
        string support = SupportFolder(dir, "s", characters: 2, drawings: 1);
        string index = dir.File("i.lshi");
        Assert.Equal(0, CliRunner.Run("enroll", "--model", model, "--support", support, "--out", index, "--planes", "64", "--seed", "5").Code);

        void Fails(string expected, params string[] args) => FailsWith(1, expected, args);
        void FailsWith(int exitCode, string expected, params string[] args)
        {
            var (code, output, err) = CliRunner.Run(args);
            Assert.Equal(exitCode, code);
            Assert.Equal("", output);
            Assert.Equal("lshk: error: " + expected, err.TrimEnd('\n', '\r'));
        }

        Fails($"{index}: the index has 64 gaussian planes (seed 5), centring on, which does not match --planes 128",
            "enroll", "--model", model, "--add", support, "--out", index, "--planes", "128");
        Fails($"{index}: the index has 64 gaussian planes (seed 5), centring on, which does not match --seed 1",
            "enroll", "--model", model, "--add", support, "--out", index, "--seed", "1");
        Fails($"{index}: the index has 64 gaussian planes (seed 5), centring on, which does not match --hash uniform",
            "enroll", "--model", model, "--add", support, "--out", index, "--hash", "uniform");
        string other = ClassifyTestModels.SaveRandom(dir.File("other.safetensors"), ClassifyTestModels.Omniglot, seed: 4);
        var (c, _, e) = CliRunner.Run("enroll", "--model", other, "--add", support, "--out", index);
        Assert.Equal(1, c);
        Assert.StartsWith($"lshk: error: {index}: was made with another model (checksum", e);
        Assert.Contains($"not {other}", e);

        Directory.CreateDirectory(Path.Combine(support, "empty-class"));
        Fails($"{Path.Combine(support, "empty-class")}: class folder has no images (.png, .jpg, .jpeg, .bmp)",
            "enroll", "--model", model, "--support", support, "--out", dir.File("j.lshi"));
        Assert.False(File.Exists(dir.File("j.lshi")));
        FailsWith(2, "give either --support DIR (a new index) or --add DIR (to extend --out)", "enroll", "--model", model, "--out", index);

        byte[] bytes = File.ReadAllBytes(index);
        File.WriteAllBytes(dir.File("cut.lshi"), bytes[..(bytes.Length / 2)]);
        Assert.StartsWith($"lshk: error: {dir.File("cut.lshi")}: inconsistent sizes: the header describes {bytes.Length} bytes",
            CliRunner.Run("enroll", "--model", model, "--add", support, "--out", dir.File("cut.lshi")).Err);
        Fails($"{dir.File("none.lshi")}: index file not found", "enroll", "--model", model, "--add", support, "--out", dir.File("none.lshi"));
    }
}
