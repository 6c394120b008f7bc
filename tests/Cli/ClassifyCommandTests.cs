using System.Text.Json;

namespace Lshk.Tests.Cli;

public class ClassifyCommandTests
{
    [Fact]
    public void JsonHasAnObjectPerImageAndMatchesTheTextOutput()
    {
        using var dir = new TempFolder();
        string model = ClassifyTestModels.SaveRandom(dir.File("m.safetensors"), ClassifyTestModels.Omniglot);
        string support = EnrollCommandTests.SupportFolder(dir, "s", characters: 4, drawings: 1);
        string queries = EnrollCommandTests.SupportFolder(dir, "q", characters: 4, drawings: 2, skipDrawings: 1);
        string index = dir.File("i.lshi");
        Assert.Equal(0, CliRunner.Run("enroll", "--model", model, "--support", support, "--out", index, "--planes", "128").Code);
        foreach (string method in new[] { "hamming", "hamming-proto", "cosine", "asymmetric" })
        {
            var (code, json, err) = CliRunner.Run("classify", "--model", model, "--index", index, queries, "--top", "3", "--method", method, "--json");
            Assert.True(code == 0, err);
            using var doc = JsonDocument.Parse(json);
            var images = doc.RootElement.EnumerateArray().ToArray();
            Assert.Equal(Lshk.Data.Imaging.ImageFiles.Find([queries]), images.Select(i => i.GetProperty("image").GetString()));
            var text = CliRunner.Run("classify", "--model", model, "--index", index, queries, "--top", "3", "--method", method).Out
                .Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(8, text.Length);
            for (int i = 0; i < images.Length; i++)
            {
                var top = images[i].GetProperty("top").EnumerateArray().ToArray();
                Assert.Equal(3, top.Length);
                Assert.Equal(top[0].GetProperty("class").GetString(), images[i].GetProperty("class").GetString());
                var scores = top.Select(t => t.GetProperty("score").GetDouble()).ToArray();
                Assert.Equal(scores.OrderDescending(), scores);
                if (method is "hamming" or "hamming-proto") Assert.All(scores, s => Assert.InRange(s, 0, 128));
                if (method is "hamming" or "hamming-proto") Assert.All(scores, s => Assert.Equal(Math.Round(s), s));
                else if (method == "cosine") Assert.All(scores, s => Assert.InRange(s, -1.0001, 1.0001));
                else Assert.All(scores, s => Assert.True(double.IsFinite(s)));   // Σ ±projection: real-valued, unbounded
                Assert.Equal(3, top.Select(t => t.GetProperty("class").GetString()).Distinct().Count());
                // Text: image, class, score, then the top list.
                var fields = text[i].Split('\t');
                Assert.Equal(images[i].GetProperty("image").GetString(), fields[0]);
                Assert.Equal(images[i].GetProperty("class").GetString(), fields[1]);
            }
        }
    }

    [Fact]
    public void ASupportFolderGivesTheSameResultsAsItsIndex()
    {
        using var dir = new TempFolder();
        string model = ClassifyTestModels.SaveRandom(dir.File("m.safetensors"), ClassifyTestModels.Omniglot);
        string support = EnrollCommandTests.SupportFolder(dir, "s", characters: 5, drawings: 2);
        string queries = EnrollCommandTests.SupportFolder(dir, "q", characters: 5, drawings: 1, skipDrawings: 2);
        string index = dir.File("i.lshi");
        Assert.Equal(0, CliRunner.Run("enroll", "--model", model, "--support", support, "--out", index, "--planes", "96", "--hash", "uniform", "--seed", "7", "--center", "off").Code);
        var fromIndex = CliRunner.Run("classify", "--model", model, "--index", index, queries, "--json");
        var fromFolder = CliRunner.Run("classify", "--model", model, "--support", support, "--planes", "96", "--hash", "uniform", "--seed", "7", "--center", "off", queries, "--json");
        Assert.Equal(0, fromIndex.Code);
        Assert.Equal(fromIndex.Out, fromFolder.Out);
        // Other planes on the fly give other scores.
        var otherPlanes = CliRunner.Run("classify", "--model", model, "--support", support, "--planes", "96", queries, "--json");
        Assert.NotEqual(fromIndex.Out, otherPlanes.Out);
    }

    [Fact]
    public void AMismatchedOrCorruptIndexIsAOneLineError()
    {
        using var dir = new TempFolder();
        string model = ClassifyTestModels.SaveRandom(dir.File("m.safetensors"), ClassifyTestModels.Omniglot);
        string other = ClassifyTestModels.SaveRandom(dir.File("other.safetensors"), ClassifyTestModels.Omniglot, seed: 9);
        string support = EnrollCommandTests.SupportFolder(dir, "s", characters: 2, drawings: 1);
        string index = dir.File("i.lshi");
        Assert.Equal(0, CliRunner.Run("enroll", "--model", model, "--support", support, "--out", index).Code);

        var (code, output, err) = CliRunner.Run("classify", "--model", other, "--index", index, support);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Matches($"^lshk: error: {System.Text.RegularExpressions.Regex.Escape(index)}: was made with another model \\(checksum [0-9a-f]{{12}}…\\), not .*other.safetensors \\([0-9a-f]{{12}}…\\)$", err.Trim());

        (code, _, err) = CliRunner.Run("classify", "--model", model, "--index", index, "--planes", "128", support);
        Assert.Equal(1, code);
        Assert.Equal($"lshk: error: {index}: the index has 256 gaussian planes (seed 1), centring on, which does not match --planes 128", err.Trim());

        byte[] bytes = File.ReadAllBytes(index);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(dir.File("flip.lshi"), bytes);
        (code, _, err) = CliRunner.Run("classify", "--model", model, "--index", dir.File("flip.lshi"), support);
        Assert.Equal(1, code);
        Assert.Equal($"lshk: error: {dir.File("flip.lshi")}: checksum mismatch: the file is corrupt", err.Trim());

        (code, _, err) = CliRunner.Run("classify", "--model", model, "--index", model, support);
        Assert.Equal($"lshk: error: {model}: not an lshk support index (bad magic)", err.Trim());
        (code, _, err) = CliRunner.Run("classify", "--model", model, "--index", index, support, "--method", "euclid");
        Assert.Equal("lshk: error: unknown method 'euclid' (expected hamming, hamming-proto, cosine or asymmetric)", err.Trim());
    }
}
