using System.Net;
using Lshk.Data;
using Lshk.Kernels.Random;
using Lshk.Lsh.Families;
using Lshk.Nn;
using Lshk.Nn.ModelFiles;
using Lshk.Serve;
using Lshk.Tests.Cli;

namespace Lshk.Tests.Serve;

/// <summary><c>lshk serve</c> over an index of opq codes: asymmetric scoring by default, enrolment, and a 400 for Hamming.</summary>
public sealed class ServeCodebookTests
{
    private const int Bits = 16;

    /// <summary>Rewrites the model with an opq codebook (fitted to random 72-d rows) and enrols its images as opq codes.</summary>
    private static ServeSettings WithOpqIndex(ServeSettings settings)
    {
        string model = settings.ModelPath;
        var codebook = OptimizedProductQuantizerFamily.Instance.Fit(RandomArrays.Gaussian(300L * 72, 5), 72, Bits, seed: 1);
        var metadata = new Dictionary<string, string>
        {
            [MetadataKeys.Codebook.Family] = "opq",
            [MetadataKeys.Codebook.Seed] = "1",
            [MetadataKeys.Codebook.FittedOn] = "random rows",
        };
        byte[] plain = File.ReadAllBytes(model);
        AtomicFile.Write(model, s => ModelFile.WithCodebook(plain, model, new StoredCodebook(codebook.Subspaces, codebook.Dim,
            codebook.Centroids, codebook.Mean, codebook.Rotation), metadata, s));
        // The first characters are all of the first alphabet: its folder holds one subfolder per character (class).
        string images = Directory.GetDirectories(Path.Combine(Path.GetDirectoryName(model)!, "images")).Order(StringComparer.Ordinal).First();
        var enroll = CliRunner.Run("enroll", "--model", model, "--support", images, "--hash", "opq", "--out", settings.IndexPath, "--device", "cpu");
        Assert.True(enroll.Code == 0, enroll.Err);
        return settings;
    }

    [Fact]
    public async Task AnOpqIndexIsScoredAsymmetricallyGrowsAndAnswersHammingWithA400()
    {
        await using var serve = await ServeFixture.StartAsync(WithOpqIndex, characters: 3, drawings: 2);
        string query = serve.Drawings(serve.Classes[1])[0];
        var response = await serve.PostAsync("/v1/classify?top=3", ServeFixture.Multipart(query));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var served = (await ServeFixture.Json(response))[0];
        // An enrolled drawing's own code is its reconstruction's nearest: its class comes first, with cosine < 1.
        Assert.Equal(Path.GetFileName(serve.Classes[1]), served.GetProperty("class").GetString());
        double score = served.GetProperty("top")[0].GetProperty("score").GetDouble();
        Assert.InRange(score, 0.5, 1.0);
        var (code, stdout, _) = CliRunner.Run("classify", "--model", serve.ModelPath, "--index", serve.IndexPath, query, "--top", "3", "--json", "--device", "cpu");
        Assert.Equal(0, code);
        Assert.True(System.Text.Json.JsonElement.DeepEquals(System.Text.Json.JsonDocument.Parse(stdout).RootElement[0].GetProperty("top"),
            served.GetProperty("top")));

        var hamming = await serve.PostAsync("/v1/classify?method=hamming", ServeFixture.Multipart(query));
        Assert.Equal(HttpStatusCode.BadRequest, hamming.StatusCode);
        Assert.Contains("opq codes", (await ServeFixture.Json(hamming)).GetProperty("error").GetString());

        // Enrolment codes new examples with the index's codebook; the server keeps answering.
        Assert.Equal(HttpStatusCode.Created, (await serve.EnrolAsync("new", serve.Drawings(serve.Classes[0])[1])).StatusCode);
        var again = await serve.PostAsync("/v1/classify?method=cosine", ServeFixture.Multipart(query));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task AThresholdInHammingBitsIsRefusedForAnOpqIndex()
    {
        var e = await Assert.ThrowsAsync<Lshk.Core.InputException>(async () =>
        {
            await using var serve = await ServeFixture.StartAsync(settings => WithOpqIndex(settings) with { Reject = 200 }, characters: 2, drawings: 1);
        });
        Assert.Contains("holds opq codes, scored by the asymmetric method", e.Message);
    }
}
