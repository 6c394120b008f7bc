using System.Net.Http.Headers;
using System.Text.Json;
using Lshk.Kernels.Cpu;
using Lshk.Serve;
using Lshk.Tests.Cli;

namespace Lshk.Tests.Serve;

/// <summary>
/// A real <c>lshk serve</c> on Kestrel at 127.0.0.1 (a port the system picks) with a small untrained Conv-4 (random
/// weights embed well enough to tell images apart, which is all the API tests need), Omniglot evaluation drawings to
/// send, and an HTTP client. Disposing stops the server and deletes its folder.
/// </summary>
internal sealed class ServeFixture : IAsyncDisposable
{
    private readonly CpuBackend _backend;

    private ServeFixture(TempFolder folder, CpuBackend backend, LshkServer server, IReadOnlyList<string> classes)
    {
        _backend = backend;
        Folder = folder;
        Server = server;
        Classes = classes;
        Client = new HttpClient { BaseAddress = server.Address };
    }

    public TempFolder Folder { get; }
    public LshkServer Server { get; }
    public HttpClient Client { get; }

    /// <summary>Omniglot evaluation characters ("alphabet/character"), with drawings under <see cref="Images"/>.</summary>
    public IReadOnlyList<string> Classes { get; }

    public string Images => Folder.File("images");
    public string ModelPath => Folder.File("model.safetensors");
    public string IndexPath => Folder.File("index.lshi");

    /// <summary>Starts a server on a new model and folder; <paramref name="configure"/> adjusts the settings.</summary>
    public static async Task<ServeFixture> StartAsync(Func<ServeSettings, ServeSettings>? configure = null, int characters = 4, int drawings = 3)
    {
        var folder = new TempFolder();
        try
        {
            var classes = ClassifyTestModels.ExtractEvaluation(Path.Combine(folder.Path, "images"), characters, drawings);
            ClassifyTestModels.SaveRandom(folder.File("model.safetensors"), ClassifyTestModels.Omniglot);
            var settings = new ServeSettings(folder.File("model.safetensors"), folder.File("index.lshi")) { Port = 0 };
            settings = configure?.Invoke(settings) ?? settings;
            return await StartAsync(folder, settings, classes);
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    private static async Task<ServeFixture> StartAsync(TempFolder folder, ServeSettings settings, IReadOnlyList<string> classes)
    {
        var backend = new CpuBackend();
        try
        {
            return new ServeFixture(folder, backend, await LshkServer.StartAsync(settings, backend), classes);
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    /// <summary>The drawings of a character, in ordinal order.</summary>
    public string[] Drawings(string character) =>
        Directory.GetFiles(Path.Combine(Images, character)).Order(StringComparer.Ordinal).ToArray();

    /// <summary>A multipart body with each file in a field named "image".</summary>
    public static MultipartFormDataContent Multipart(params string[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (string file in files)
        {
            var part = new ByteArrayContent(File.ReadAllBytes(file));
            part.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            form.Add(part, "image", Path.GetFileName(file));
        }
        return form;
    }

    /// <summary>The URL path of a class: "/" in a name travels as %2F.</summary>
    public static string ClassPath(string name) => "/v1/classes/" + Uri.EscapeDataString(name);

    public Task<HttpResponseMessage> EnrolAsync(string name, params string[] files) => PostAsync(ClassPath(name) + "/examples", Multipart(files));

    // The client's calls with the test's cancellation token, so a cancelled run does not wait on the server.
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public Task<HttpResponseMessage> PostAsync(string path, HttpContent content) => Client.PostAsync(path, content, Cancel);
    public Task<HttpResponseMessage> GetAsync(string path) => Client.GetAsync(path, Cancel);
    public Task<HttpResponseMessage> DeleteAsync(string path) => Client.DeleteAsync(path, Cancel);
    public Task<string> GetStringAsync(string path) => Client.GetStringAsync(path, Cancel);
    public async Task<string> PostForTextAsync(string path, HttpContent content) => await (await PostAsync(path, content)).Content.ReadAsStringAsync(Cancel);

    public static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.Clone();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        _backend.Dispose();
        Folder.Dispose();
    }
}
