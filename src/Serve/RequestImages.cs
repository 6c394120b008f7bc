using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Lshk.Serve;

/// <summary>An image as it came in a request: its name (file name or the JSON "name") and its encoded bytes.</summary>
public sealed record RequestImage(string Name, byte[] Bytes);

/// <summary>
/// The images and options of a classify or enrol request, in either body form: <c>multipart/form-data</c> with files in
/// fields named <c>image</c> (options as form fields), or JSON <c>{"images": [{"name", "data": base64}], "top", "method"}</c>.
/// Options may also be query parameters; a body field wins over a query parameter.
/// </summary>
public sealed record RequestImages(IReadOnlyList<RequestImage> Images, IReadOnlyDictionary<string, string> Options)
{
    public const string ImageField = "image";

    public static async Task<RequestImages> ReadAsync(HttpRequest request, ServeLimits limits, CancellationToken cancel)
    {
        if (request.ContentLength > limits.MaxBodyBytes)
            throw ApiException.TooLarge($"request body of {request.ContentLength} bytes is over the limit of {limits.MaxBodyBytes}");
        var options = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        List<RequestImage> images;
        if (request.HasFormContentType)
        {
            if (!request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
                throw ApiException.UnsupportedType($"content type '{request.ContentType}': send images as multipart/form-data or JSON");
            var form = await request.ReadFormAsync(cancel);
            foreach (var field in form) options[field.Key] = field.Value.ToString();
            var files = form.Files.GetFiles(ImageField);
            CheckCount(files.Count, limits);
            images = new List<RequestImage>(files.Count);
            foreach (var file in files)
            {
                using var buffer = new MemoryStream((int)file.Length);
                await file.CopyToAsync(buffer, cancel);
                images.Add(new RequestImage(string.IsNullOrEmpty(file.FileName) ? $"image{images.Count}" : file.FileName, buffer.ToArray()));
            }
        }
        else if (request.HasJsonContentType())
        {
            images = await ReadJsonAsync(request, options, limits, cancel);
        }
        else
        {
            throw ApiException.UnsupportedType(
                $"content type '{request.ContentType ?? "(none)"}': send images as multipart/form-data (fields named '{ImageField}') or application/json");
        }
        return new RequestImages(images, options);
    }

    /// <summary>An option as a positive integer, or <paramref name="fallback"/> when absent.</summary>
    public int PositiveInt(string name, int fallback, int max)
    {
        if (!Options.TryGetValue(name, out string? text) || text.Length == 0) return fallback;
        if (!int.TryParse(text, out int value) || value < 1 || value > max)
            throw ApiException.BadRequest($"{name} must be an integer from 1 to {max} (got '{text}')");
        return value;
    }

    public string? Text(string name) => Options.TryGetValue(name, out string? text) && text.Length > 0 ? text : null;

    private static async Task<List<RequestImage>> ReadJsonAsync(HttpRequest request, Dictionary<string, string> options, ServeLimits limits,
        CancellationToken cancel)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancel);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"body is not valid JSON ({e.Message})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("JSON body must be an object with an 'images' array");
            foreach (var property in root.EnumerateObject())
                if (property.Name != "images")
                    options[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
            if (!root.TryGetProperty("images", out var list) || list.ValueKind != JsonValueKind.Array)
                throw ApiException.BadRequest("JSON body has no 'images' array");
            CheckCount(list.GetArrayLength(), limits);
            var images = new List<RequestImage>();
            foreach (var item in list.EnumerateArray())
            {
                string where = $"images[{images.Count}]";
                if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.String)
                    throw ApiException.BadRequest($"{where} must be an object with a base64 'data' string");
                string name = item.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : $"image{images.Count}";
                if (!data.TryGetBytesFromBase64(out byte[]? bytes)) throw ApiException.BadRequest($"{where}.data is not valid base64");
                images.Add(new RequestImage(name, bytes));
            }
            return images;
        }
    }

    private static void CheckCount(int count, ServeLimits limits)
    {
        if (count == 0) throw ApiException.BadRequest($"no images: send files in fields named '{ImageField}', or a JSON 'images' array");
        if (count > limits.MaxImagesPerRequest)
            throw ApiException.TooLarge($"{count} images in one request is over the limit of {limits.MaxImagesPerRequest}");
    }
}
