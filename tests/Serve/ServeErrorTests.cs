using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Lshk.Tests.Serve;

/// <summary>Each bad request gets a 4xx with a JSON <c>{"error"}</c>, and the server keeps serving after it.</summary>
public sealed class ServeErrorTests
{
    private const string Token = "s3cret";
    private const long SmallBodyLimit = 64 << 10;

    [Fact]
    public async Task EveryBadRequestIsRefusedWithAJsonErrorAndTheServerKeepsServing()
    {
        await using var serve = await ServeFixture.StartAsync(s => s with
        {
            Token = Token,
            Limits = s.Limits with { MaxBodyBytes = SmallBodyLimit, MaxImagesPerRequest = 3 },
        });
        string name = serve.Classes[0];
        string png = serve.Drawings(name)[0];
        byte[] bytes = File.ReadAllBytes(png);
        serve.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        Assert.Equal(HttpStatusCode.Created, (await serve.EnrolAsync(name, png)).StatusCode);

        await Refused(serve, HttpStatusCode.BadRequest, "not a PNG, JPEG or BMP image", Post("/v1/classify", Bytes("garbage.png", "this is not an image"u8.ToArray())));
        await Refused(serve, HttpStatusCode.BadRequest, "truncated.png", Post("/v1/classify", Bytes("truncated.png", bytes[..(bytes.Length / 2)])));
        await Refused(serve, HttpStatusCode.RequestEntityTooLarge, "declares 100000×100000 pixels", Post("/v1/classify", Bytes("bomb.png", DeclaredSizePng(100_000, 100_000))));
        await Refused(serve, HttpStatusCode.UnsupportedMediaType, "text/plain", Post("/v1/classify", new StringContent("hello", Encoding.UTF8, "text/plain")));
        await Refused(serve, HttpStatusCode.RequestEntityTooLarge, $"over the limit of {SmallBodyLimit}", AskingFirst("/v1/classify", Bytes("huge.png", new byte[2 * SmallBodyLimit])));
        await Refused(serve, HttpStatusCode.RequestEntityTooLarge, "over the limit of 3", Post("/v1/classify", ServeFixture.Multipart(png, png, png, png)));
        await Refused(serve, HttpStatusCode.BadRequest, "no images", Post("/v1/classify", new MultipartFormDataContent { { new StringContent("1"), "top" } }));
        await Refused(serve, HttpStatusCode.BadRequest, "unknown method 'fastest'", Post("/v1/classify?method=fastest", ServeFixture.Multipart(png)));
        await Refused(serve, HttpStatusCode.BadRequest, "top must be an integer", Post("/v1/classify?top=0", ServeFixture.Multipart(png)));
        await Refused(serve, HttpStatusCode.BadRequest, "not valid JSON", Post("/v1/classify", new StringContent("{\"images\": [", Encoding.UTF8, "application/json")));
        await Refused(serve, HttpStatusCode.BadRequest, "not valid base64", Post("/v1/classify", new StringContent("{\"images\": [{\"data\": \"%%%\"}]}", Encoding.UTF8, "application/json")));
        await Refused(serve, HttpStatusCode.NotFound, "class 'no such class' is not enrolled", c => c.DeleteAsync(ServeFixture.ClassPath("no such class")));

        // Writes need the token; reads do not.
        serve.Client.DefaultRequestHeaders.Authorization = null;
        await Refused(serve, HttpStatusCode.Unauthorized, "needs a token", c => c.PostAsync(ServeFixture.ClassPath("new") + "/examples", ServeFixture.Multipart(png)));
        await Refused(serve, HttpStatusCode.Unauthorized, "needs a token", c => c.DeleteAsync(ServeFixture.ClassPath(name)));
        serve.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "guess");
        await Refused(serve, HttpStatusCode.Forbidden, "wrong token", c => c.PostAsync(ServeFixture.ClassPath("new") + "/examples", ServeFixture.Multipart(png)));
        Assert.Equal(HttpStatusCode.OK, (await serve.PostAsync("/v1/classify", ServeFixture.Multipart(png))).StatusCode);

        // Nothing refused reached the index.
        var classes = await ServeFixture.Json(await serve.GetAsync("/v1/classes"));
        Assert.Equal(1, classes.GetProperty("examples").GetInt32());
    }

    private static Func<ServeFixture, Task<HttpResponseMessage>> Post(string path, HttpContent content) => c => c.PostAsync(path, content);

    /// <summary>
    /// A post that asks before sending its body (<c>Expect: 100-continue</c>, as curl does for large uploads). The server
    /// refuses a body over the limit from its declared length, without reading it, and then closes the connection
    /// (Kestrel will not drain a body over its limit): a client already writing the body may hit a broken pipe before
    /// it reads the 413 (seen on a loaded machine), while one that asks first reads the 413 and never sends the body.
    /// </summary>
    private static Func<ServeFixture, Task<HttpResponseMessage>> AskingFirst(string path, HttpContent content) => c =>
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.ExpectContinue = true;
        return c.Client.SendAsync(request, TestContext.Current.CancellationToken);
    };

    private static MultipartFormDataContent Bytes(string name, byte[] bytes)
    {
        var part = new ByteArrayContent(bytes);
        part.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return new MultipartFormDataContent { { part, "image", name } };
    }

    /// <summary>The request is refused with <paramref name="status"/> and a JSON error containing <paramref name="words"/>; then /healthz still answers.</summary>
    private static async Task Refused(ServeFixture serve, HttpStatusCode status, string words, Func<ServeFixture, Task<HttpResponseMessage>> send)
    {
        using var response = await send(serve);
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(status == response.StatusCode, $"expected {(int)status} for '{words}', got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        string error = JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
        Assert.Contains(words, error);
        Assert.DoesNotContain('\n', error);
        Assert.Equal(HttpStatusCode.OK, (await serve.GetAsync("/healthz")).StatusCode);
    }

    /// <summary>
    /// A PNG of a few dozen bytes whose header declares <paramref name="width"/>×<paramref name="height"/> (8-bit gray):
    /// the decompression bomb's first step. Signature, IHDR with its CRC, an empty IDAT, IEND.
    /// </summary>
    internal static byte[] DeclaredSizePng(int width, int height)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth; colour type 0 (gray), compression, filter and interlace 0
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", []);
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        png.Write(number);
        byte[] typed = [.. Encoding.ASCII.GetBytes(type), .. data];
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typed));
        png.Write(number);
    }

    /// <summary>The PNG chunk CRC (ISO 3309 / ITU-T V.42, reflected polynomial 0xEDB88320), bit by bit.</summary>
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
