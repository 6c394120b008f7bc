using System.Globalization;
using Lshk.App.Modeling;
using Lshk.Kernels.Cpu;
using Lshk.Lsh.Index;

namespace Lshk.Tests.Cli;

/// <summary>
/// Test-time views through an index (<c>enroll --views</c>): the index records them, and additions and
/// <c>classify</c> embed their images the same way. The check that queries are: an enrolled drawing, classified by
/// cosine, scores 1 against itself only when it is embedded as its support was (the plain and the viewed embedding
/// of a drawing are measurably apart, which the test asserts first, so it can fail).
/// </summary>
public class ViewedIndexCommandTests
{
    private const int Views = 4;

    [Fact]
    public void AnIndexEnrolledUnderViewsEmbedsAdditionsAndQueriesTheSameWay()
    {
        using var dir = new TempFolder();
        string model = ClassifyTestModels.SaveRandom(dir.File("m.safetensors"), ClassifyTestModels.Omniglot);
        string support = EnrollCommandTests.SupportFolder(dir, "s", characters: 3, drawings: 2);
        string index = dir.File("v.lshi");
        var (code, _, err) = CliRunner.Run("enroll", "--model", model, "--support", support, "--out", index, "--views", $"{Views}", "--device", "cpu");
        Assert.True(code == 0, err);
        Assert.Contains($"each the mean of {Views} views ({TestTimeViews.DefaultDistortion})", err);
        var enrolled = SupportIndexFile.Read(index);
        Assert.Equal(new EmbeddingViews(Views, TestTimeViews.DefaultDistortion), enrolled.Views);

        // The stored embeddings are the embedder's under those views, not its plain ones.
        string[] files = Directory.GetDirectories(support).Order(StringComparer.Ordinal)
            .SelectMany(c => Directory.GetFiles(c).Order(StringComparer.Ordinal)).ToArray();
        using (var backend = new CpuBackend())
        using (var embedder = Embedder.Load(model, backend))
        {
            float[] plain = embedder.EmbedFiles(files).Embeddings;
            embedder.Views = TestTimeViews.Parse(Views, null);
            float[] viewed = embedder.EmbedFiles(files).Embeddings;
            AssertClose(viewed, enrolled.Embeddings.ToArray(), 1e-5f);
            int d = embedder.Dim;
            double worst = Enumerable.Range(0, files.Length).Min(i => Cosine(plain.AsSpan(i * d, d), viewed.AsSpan(i * d, d)));
            Assert.True(worst < 0.999, $"the views barely move an embedding (cosine {worst}): the test below could not fail");
        }

        // A query that is an enrolled drawing is embedded under the index's views: cosine 1 to itself.
        (code, string stdout, err) = CliRunner.Run("classify", "--model", model, "--index", index, "--method", "cosine", "--top", "1", files[0], "--device", "cpu");
        Assert.True(code == 0, err);
        string[] fields = stdout.Trim().Split('\t');
        Assert.Equal(Path.GetFileName(Path.GetDirectoryName(files[0])), fields[1]);
        Assert.Equal(1.0, double.Parse(fields[2], CultureInfo.InvariantCulture), 4);
        Assert.Contains($"{Views} views", err);

        // The same with a support folder enrolled on the fly under --views.
        (code, stdout, err) = CliRunner.Run("classify", "--model", model, "--support", support, "--views", $"{Views}", "--method", "cosine", "--top", "1", files[0], "--device", "cpu");
        Assert.True(code == 0, err);
        Assert.Equal(1.0, double.Parse(stdout.Trim().Split('\t')[2], CultureInfo.InvariantCulture), 4);

        // Additions are embedded under the index's views without being asked, and keep them in the file.
        string more = EnrollCommandTests.SupportFolder(dir, "more", characters: 1, drawings: 1, skipCharacters: 3);
        (code, _, err) = CliRunner.Run("enroll", "--model", model, "--add", more, "--out", index, "--device", "cpu");
        Assert.True(code == 0, err);
        var added = SupportIndexFile.Read(index);
        Assert.Equal(enrolled.Views, added.Views);
        string addedFile = Directory.GetFiles(Directory.GetDirectories(more).Single()).Single();
        (code, stdout, err) = CliRunner.Run("classify", "--model", model, "--index", index, "--method", "cosine", "--top", "1", addedFile, "--device", "cpu");
        Assert.True(code == 0, err);
        Assert.Equal(1.0, double.Parse(stdout.Trim().Split('\t')[2], CultureInfo.InvariantCulture), 4);
    }

    [Theory]
    [InlineData("enroll", "--views 8")]
    [InlineData("enroll", "--views 4 --view-distortion shift:3")]
    [InlineData("classify", "--views 8")]
    public void AskingAViewedIndexForOtherViewsIsAUsageError(string command, string asked)
    {
        using var dir = new TempFolder();
        string model = ClassifyTestModels.SaveRandom(dir.File("m.safetensors"), ClassifyTestModels.Omniglot);
        string support = EnrollCommandTests.SupportFolder(dir, "s", characters: 2, drawings: 1);
        string index = dir.File("v.lshi");
        Assert.Equal(0, CliRunner.Run("enroll", "--model", model, "--support", support, "--out", index, "--views", $"{Views}", "--device", "cpu").Code);
        byte[] before = File.ReadAllBytes(index);
        string[] args = command == "enroll"
            ? ["enroll", "--model", model, "--add", support, "--out", index, "--device", "cpu"]
            : ["classify", "--model", model, "--index", index, Directory.GetFiles(Directory.GetDirectories(support)[0])[0], "--device", "cpu"];
        var (code, _, err) = CliRunner.Run([.. args, .. asked.Split(' ')]);
        Assert.Equal(2, code);
        Assert.Contains($"v.lshi was enrolled with {Views} views", err);
        Assert.DoesNotContain('\n', err.Trim());
        Assert.Equal(before, File.ReadAllBytes(index));
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], tolerance);
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++) (ab, aa, bb) = (ab + (double)a[i] * b[i], aa + (double)a[i] * a[i], bb + (double)b[i] * b[i]);
        return ab / Math.Sqrt(aa * bb);
    }
}
