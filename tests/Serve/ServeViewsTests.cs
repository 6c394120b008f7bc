using System.Text.Json;
using Lshk.App.Modeling;
using Lshk.Kernels.Cpu;
using Lshk.Lsh.Index;
using Lshk.Serve;
using Lshk.Tests.Cli;

namespace Lshk.Tests.Serve;

/// <summary>
/// <c>lshk serve --views K</c>: the index the service creates records the views, enrolments and queries are embedded
/// under them (an enrolled drawing scores cosine 1 against itself), <c>lshk classify</c> on the saved index answers
/// as the service does, and a restart over that index keeps its views and refuses others.
/// </summary>
public sealed class ServeViewsTests
{
    private const int Views = 4;

    [Fact]
    public async Task ATestTimeViewedServiceEmbedsEnrolmentsAndQueriesAlike()
    {
        var views = TestTimeViews.Parse(Views, null);
        await using var serve = await ServeFixture.StartAsync(s => s with { Views = views });
        foreach (string c in serve.Classes.Take(3)) await serve.EnrolAsync(c, serve.Drawings(c)[0]);
        Assert.Equal(views.ForIndex(), SupportIndexFile.Read(serve.IndexPath).Views);

        string enrolled = serve.Drawings(serve.Classes[1])[0];
        var self = await ServeFixture.Json(await serve.PostAsync("/v1/classify?method=cosine&top=1", ServeFixture.Multipart(enrolled)));
        Assert.Equal(serve.Classes[1], self[0].GetProperty("class").GetString());
        Assert.Equal(1.0, self[0].GetProperty("top")[0].GetProperty("score").GetDouble(), 4);

        string query = serve.Drawings(serve.Classes[3])[1];
        var served = await ServeFixture.Json(await serve.PostAsync("/v1/classify?method=cosine&top=3", ServeFixture.Multipart(query)));
        var (code, stdout, err) = CliRunner.Run("classify", "--model", serve.ModelPath, "--index", serve.IndexPath, query, "--method", "cosine",
            "--top", "3", "--json", "--device", "cpu");
        Assert.True(code == 0, err);
        var printed = JsonDocument.Parse(stdout).RootElement;
        Assert.True(JsonElement.DeepEquals(printed[0].GetProperty("top"), served[0].GetProperty("top")),
            $"{printed[0].GetProperty("top")} vs {served[0].GetProperty("top")}");

        // A restart over the saved index: other views are refused with a one-line reason; none asked keeps the index's.
        using var copy = new TempFolder();
        string model = copy.File("m.safetensors"), index = copy.File("i.lshi");
        File.Copy(serve.ModelPath, model);
        File.Copy(serve.IndexPath, index);
        using var backend = new CpuBackend();
        var other = new ServeSettings(model, index) { Port = 0, Views = TestTimeViews.Parse(8, null) };
        var e = await Assert.ThrowsAsync<Lshk.Core.InputException>(() => LshkServer.StartAsync(other, backend));
        Assert.Contains($"was enrolled with {Views} views", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        var messages = new List<string>();
        await using (var restarted = await LshkServer.StartAsync(new ServeSettings(model, index) { Port = 0 }, backend, messages.Add))
            Assert.Contains(messages, m => m.Contains($"each the mean of {Views} views"));
    }
}
