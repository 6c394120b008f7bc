using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lshk.App.Modeling;
using Lshk.Lsh;
using Lshk.Lsh.Index;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lshk.Serve;

/// <summary>
/// The HTTP API. Reads take the current index snapshot; writes (enrol, delete) go through the <see cref="IndexStore"/>
/// and answer once the change is on disk. JSON throughout; every refusal is <c>{"error": "…"}</c> (<see cref="ServeErrors"/>).
/// </summary>
public static class ServeEndpoints
{
    public const int DefaultTop = 5;
    private const string BearerPrefix = "Bearer ";

    public static void Map(IEndpointRouteBuilder routes, ServeContext context)
    {
        routes.MapPost("/v1/classify", (HttpContext http) => Classify(http, context));
        routes.MapGet("/v1/classes", () => Results.Json(ClassList(context.Store.Current)));
        routes.MapPost("/v1/classes/{name}/examples", (HttpContext http, string name) => Enrol(http, context, ClassName(name)));
        routes.MapDelete("/v1/classes/{name}", (HttpContext http, string name) => Delete(http, context, ClassName(name)));
        routes.MapGet("/healthz", () =>
        {
            var index = context.Store.Current;
            return Results.Json(new { status = "ok", classes = index?.ClassCount ?? 0, examples = index?.Count ?? 0 });
        });
        routes.MapGet("/", () => Results.Content(WebPage.Html, "text/html; charset=utf-8"));
    }

    private static async Task Classify(HttpContext http, ServeContext context)
    {
        var request = await RequestImages.ReadAsync(http.Request, context.Settings.Limits, http.RequestAborted);
        int top = request.PositiveInt("top", DefaultTop, context.Settings.Limits.MaxTop);
        var served = context.Store.Current;
        var method = request.Text("method") is { } name ? MatchMethods.ParseForIndex(name) : served?.DefaultMethod ?? MatchMethod.HammingNearest;
        if (served is not null && !served.Supports(method))
            throw ApiException.BadRequest($"method {method.Name()}: the index holds {served.Family.Name} codes (product-quantiser bytes), scored by asymmetric or cosine");
        var pixels = ImagePreparation.Prepare(request.Images, context.Embedder.Preprocessing, context.Settings.Limits);
        var (index, results) = await context.Batcher.ClassifyAsync(pixels, request.Images.Count, top, method);
        // Each method scores on its own scale, so each has its own threshold (or none: then the best class stands).
        double? reject = RejectThreshold.For(context.Rejects, method);
        http.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            if (index is null) WriteUnclassified(writer, request.Images);
            else ClassificationJson.Write(writer, request.Images.Select(i => i.Name).ToArray(), results, index, method, reject);
        }
        await http.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), http.RequestAborted);
    }

    /// <summary>Before the first enrolment there are no classes: every image answers "none of these".</summary>
    private static void WriteUnclassified(Utf8JsonWriter writer, IReadOnlyList<RequestImage> images)
    {
        writer.WriteStartArray();
        foreach (var image in images)
        {
            writer.WriteStartObject();
            writer.WriteString("image", image.Name);
            writer.WriteNull("class");
            writer.WriteStartArray("top");
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    private static async Task<IResult> Enrol(HttpContext http, ServeContext context, string name)
    {
        RequireToken(http, context.Settings.Token);
        var request = await RequestImages.ReadAsync(http.Request, context.Settings.Limits, http.RequestAborted);
        var pixels = ImagePreparation.Prepare(request.Images, context.Embedder.Preprocessing, context.Settings.Limits);
        var embeddings = await context.Batcher.EmbedAsync(pixels, request.Images.Count);
        var items = new SupportItems(Enumerable.Repeat(name, request.Images.Count).ToArray(), embeddings, context.Embedder.Dim,
            request.Images.Select(i => SHA256.HashData(i.Bytes)).ToArray());
        int examples = await context.Store.EnrolAsync(items);
        context.Metrics.EnrolledImages.Inc(request.Images.Count);
        return Results.Json(new { @class = name, examples }, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> Delete(HttpContext http, ServeContext context, string name)
    {
        RequireToken(http, context.Settings.Token);
        if (!await context.Store.DeleteAsync(name)) throw ApiException.NotFound($"class '{name}' is not enrolled");
        return Results.Json(new { deleted = name });
    }

    private static object ClassList(SupportIndex? index) => new
    {
        classes = index is null ? [] : index.ClassNames.Select((c, id) => new { name = c, examples = index.CountOf(id) }).ToArray(),
        examples = index?.Count ?? 0,
        planes = index?.Bits,
        hash = index?.Family.Name,
    };

    /// <summary>A class name from the URL: "%2F" stands for "/" (Omniglot's "alphabet/character"), which a route segment cannot hold.</summary>
    private static string ClassName(string routeValue) => Uri.UnescapeDataString(routeValue);

    /// <summary>With a token set, a write needs <c>Authorization: Bearer TOKEN</c> (compared in constant time).</summary>
    private static void RequireToken(HttpContext http, string? token)
    {
        if (token is null) return;
        string header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith(BearerPrefix, StringComparison.Ordinal))
            throw new ApiException(StatusCodes.Status401Unauthorized, "this server needs a token for changes: send Authorization: Bearer TOKEN");
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[BearerPrefix.Length..]), Encoding.UTF8.GetBytes(token)))
            throw new ApiException(StatusCodes.Status403Forbidden, "wrong token");
    }
}
