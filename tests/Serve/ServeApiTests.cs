using System.Net;
using System.Text;
using System.Text.Json;
using Lshk.Lsh.Index;
using Lshk.Tests.Cli;

namespace Lshk.Tests.Serve;

/// <summary>The endpoints of <c>lshk serve</c> against a real Kestrel: enrol, classify, list, delete, health, metrics.</summary>
public sealed class ServeApiTests
{
    private const int Bits = 256;

    [Fact]
    public async Task AnEnrolledDrawingIsClassifiedAsItsClassWithEveryBitAgreeing()
    {
        await using var serve = await ServeFixture.StartAsync();
        var (a, b) = (serve.Classes[0], serve.Classes[1]);
        var first = await serve.EnrolAsync(a, serve.Drawings(a)[0]);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(1, (await ServeFixture.Json(first)).GetProperty("examples").GetInt32());
        var second = await serve.EnrolAsync(a, serve.Drawings(a)[1]);
        Assert.Equal(2, (await ServeFixture.Json(second)).GetProperty("examples").GetInt32());
        Assert.Equal(HttpStatusCode.Created, (await serve.EnrolAsync(b, serve.Drawings(b)[0])).StatusCode);

        // A query identical to an enrolled drawing has that drawing's code: all 256 bits agree, and it is its class.
        var response = await serve.PostAsync("/v1/classify", ServeFixture.Multipart(serve.Drawings(b)[0], serve.Drawings(a)[1]));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = await ServeFixture.Json(response);
        Assert.Equal(2, results.GetArrayLength());
        Assert.Equal(Path.GetFileName(serve.Drawings(b)[0]), results[0].GetProperty("image").GetString());
        Assert.Equal(b, results[0].GetProperty("class").GetString());
        Assert.Equal(Bits, results[0].GetProperty("top")[0].GetProperty("score").GetInt32());
        Assert.Equal(a, results[1].GetProperty("class").GetString());
        Assert.Equal(2, results[1].GetProperty("top").GetArrayLength()); // two classes enrolled, top 5 asked

        var classes = await ServeFixture.Json(await serve.GetAsync("/v1/classes"));
        Assert.Equal([(a, 2), (b, 1)], classes.GetProperty("classes").EnumerateArray()
            .Select(c => (c.GetProperty("name").GetString()!, c.GetProperty("examples").GetInt32())).ToArray());
    }

    [Fact]
    public async Task ClassifyAnswersWhatTheClassifyCommandPrintsForTheSavedIndex()
    {
        await using var serve = await ServeFixture.StartAsync();
        foreach (string c in serve.Classes.Take(3)) await serve.EnrolAsync(c, serve.Drawings(c)[0]);
        string query = serve.Drawings(serve.Classes[3])[0];

        var response = await serve.PostAsync("/v1/classify?top=2", ServeFixture.Multipart(query));
        var served = await ServeFixture.Json(response);
        var (code, stdout, _) = CliRunner.Run("classify", "--model", serve.ModelPath, "--index", serve.IndexPath, query, "--top", "2", "--json", "--device", "cpu");
        Assert.Equal(0, code);
        var printed = JsonDocument.Parse(stdout).RootElement;
        // Same fields and values; only the image's name differs (the command prints the path it was given).
        Assert.Equal(printed[0].GetProperty("class").GetString(), served[0].GetProperty("class").GetString());
        Assert.True(JsonElement.DeepEquals(printed[0].GetProperty("top"), served[0].GetProperty("top")),
            $"{printed[0].GetProperty("top")} vs {served[0].GetProperty("top")}");
        Assert.Equal(2, served[0].GetProperty("top").GetArrayLength());
    }

    [Fact]
    public async Task TheJsonBodyFormGivesTheSameAnswerAsMultipart()
    {
        await using var serve = await ServeFixture.StartAsync();
        foreach (string c in serve.Classes) await serve.EnrolAsync(c, serve.Drawings(c)[0]);
        string query = serve.Drawings(serve.Classes[2])[1];
        var multipart = await ServeFixture.Json(await serve.PostAsync("/v1/classify?method=cosine&top=3", ServeFixture.Multipart(query)));
        string body = JsonSerializer.Serialize(new
        {
            images = new[] { new { name = Path.GetFileName(query), data = Convert.ToBase64String(File.ReadAllBytes(query)) } },
            top = 3,
            method = "cosine",
        });
        var json = await ServeFixture.Json(await serve.PostAsync("/v1/classify", new StringContent(body, Encoding.UTF8, "application/json")));
        Assert.Equal(multipart.GetRawText(), json.GetRawText());
        Assert.Equal(3, json[0].GetProperty("top").GetArrayLength());
        // Cosine scores are similarities in [-1, 1], best first.
        var scores = json[0].GetProperty("top").EnumerateArray().Select(t => t.GetProperty("score").GetDouble()).ToArray();
        Assert.All(scores, s => Assert.InRange(s, -1.0, 1.0));
        Assert.Equal(scores.OrderByDescending(s => s), scores);
    }

    [Fact]
    public async Task EnrollingLeavesTheCodesOfEnrolledClassesAsTheyWere()
    {
        await using var serve = await ServeFixture.StartAsync();
        await serve.EnrolAsync(serve.Classes[0], serve.Drawings(serve.Classes[0]));
        var before = SupportIndexFile.Read(serve.IndexPath);
        await serve.EnrolAsync(serve.Classes[1], serve.Drawings(serve.Classes[1]));
        await serve.EnrolAsync(serve.Classes[0], serve.Drawings(serve.Classes[2])[0]);
        var after = SupportIndexFile.Read(serve.IndexPath);
        Assert.Equal(before.Count + 4, after.Count);
        Assert.Equal(before.Codes.ToArray(), after.Codes[..before.Codes.Length].ToArray());
        Assert.Equal(before.Center, after.Center);
    }

    [Fact]
    public async Task DeletingEveryClassLeavesAnEmptyIndexThatLoadsAndAnswersNoneOfThese()
    {
        await using var serve = await ServeFixture.StartAsync();
        var (a, b) = (serve.Classes[0], serve.Classes[1]);
        await serve.EnrolAsync(a, serve.Drawings(a)[0]);
        await serve.EnrolAsync(b, serve.Drawings(b)[..2]);
        var centre = SupportIndexFile.Read(serve.IndexPath).Center;

        Assert.Equal(HttpStatusCode.OK, (await serve.DeleteAsync(ServeFixture.ClassPath(a))).StatusCode);
        var one = SupportIndexFile.Read(serve.IndexPath);
        Assert.Equal([b], one.ClassNames);
        Assert.Equal(2, one.Count);
        var answer = await ServeFixture.Json(await serve.PostAsync("/v1/classify", ServeFixture.Multipart(serve.Drawings(a)[0])));
        Assert.Equal(b, answer[0].GetProperty("class").GetString()); // the deleted class is gone from the next classify

        Assert.Equal(HttpStatusCode.OK, (await serve.DeleteAsync(ServeFixture.ClassPath(b))).StatusCode);
        var empty = SupportIndexFile.Read(serve.IndexPath);
        Assert.Equal(0, empty.Count);
        Assert.Equal(0, empty.ClassCount);
        Assert.Equal(centre, empty.Center); // the centre stays frozen for the next enrolment
        var none = await ServeFixture.Json(await serve.PostAsync("/v1/classify", ServeFixture.Multipart(serve.Drawings(a)[0])));
        Assert.Equal(JsonValueKind.Null, none[0].GetProperty("class").ValueKind);
        Assert.Equal(0, none[0].GetProperty("top").GetArrayLength());

        // Enrolling again after that starts from the empty index.
        Assert.Equal(HttpStatusCode.Created, (await serve.EnrolAsync(a, serve.Drawings(a)[0])).StatusCode);
        Assert.Equal([a], SupportIndexFile.Read(serve.IndexPath).ClassNames);
    }

    [Fact]
    public async Task ABeforeFirstEnrolmentServerAnswersNoneOfTheseAndHealthzAndMetricsCount()
    {
        await using var serve = await ServeFixture.StartAsync();
        var none = await ServeFixture.Json(await serve.PostAsync("/v1/classify", ServeFixture.Multipart(serve.Drawings(serve.Classes[0])[0])));
        Assert.Equal(JsonValueKind.Null, none[0].GetProperty("class").ValueKind);
        Assert.False(File.Exists(serve.IndexPath));

        await serve.EnrolAsync(serve.Classes[0], serve.Drawings(serve.Classes[0]));
        var health = await ServeFixture.Json(await serve.GetAsync("/healthz"));
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal(3, health.GetProperty("examples").GetInt32());
        string metrics = await serve.GetStringAsync("/metrics");
        Assert.Contains("lshk_index_items 3", metrics);
        Assert.Contains("lshk_index_classes 1", metrics);
        Assert.Contains("lshk_batch_images_count 2", metrics); // one pass for the classify, one for the enrolment
        Assert.Contains("lshk_batch_images_sum 4", metrics);   // 1 image + 3 images
        Assert.Single(metrics.Split('\n'), line => line.StartsWith("http_requests_received_total{", StringComparison.Ordinal)
            && line.Contains("code=\"201\"") && line.Contains("endpoint=\"/v1/classes/{name}/examples\"") && line.EndsWith("} 1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConcurrentRequestsGetTheAnswersTheyGetOneByOne()
    {
        await using var serve = await ServeFixture.StartAsync();
        foreach (string c in serve.Classes) await serve.EnrolAsync(c, serve.Drawings(c)[0]);
        var queries = serve.Classes.SelectMany(c => serve.Drawings(c)[1..]).ToArray();
        var alone = new List<string>();
        foreach (string q in queries) alone.Add(await serve.PostForTextAsync("/v1/classify", ServeFixture.Multipart(q)));
        var together = await Task.WhenAll(Enumerable.Range(0, 4).SelectMany(_ => queries).Select(async q =>
            await serve.PostForTextAsync("/v1/classify", ServeFixture.Multipart(q))));
        Assert.Equal(Enumerable.Range(0, 4).SelectMany(_ => alone), together);
    }

    [Fact]
    public async Task WithARejectThresholdAnUnenrolledCharacterAnswersNoClassWithItsTopList()
    {
        await using var serve = await ServeFixture.StartAsync(s => s with { Reject = Bits });
        foreach (string c in serve.Classes.Take(3)) await serve.EnrolAsync(c, serve.Drawings(c)[0]);
        var results = await ServeFixture.Json(await serve.PostAsync("/v1/classify",
            ServeFixture.Multipart(serve.Drawings(serve.Classes[1])[0], serve.Drawings(serve.Classes[3])[0])));
        Assert.Equal(serve.Classes[1], results[0].GetProperty("class").GetString()); // itself: all bits agree
        Assert.Equal(JsonValueKind.Null, results[1].GetProperty("class").ValueKind);  // a character never enrolled
        Assert.Equal(3, results[1].GetProperty("top").GetArrayLength());
        Assert.True(results[1].GetProperty("top")[0].GetProperty("score").GetInt32() < Bits);
    }
}
