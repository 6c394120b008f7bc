using System.Text.Json;
using Lshk.Core;
using Microsoft.AspNetCore.Http;

namespace Lshk.Serve;

/// <summary>
/// Every refused request ends here: a status code and <c>{"error": "…"}</c>. Our own refusals
/// (<see cref="ApiException"/>), Kestrel's (a body over the size limit is a 413), bad input found by the libraries
/// (<see cref="InputException"/>: a corrupt image, an unknown method) and malformed forms are 4xx; anything else is
/// a 500 that names no internals, and the server keeps serving.
/// </summary>
public static class ServeErrors
{
    public static async Task Handle(HttpContext context, Func<Task> next)
    {
        try
        {
            await next();
        }
        catch (Exception e) when (!context.Response.HasStarted && Status(e) is { } status)
        {
            await Write(context, status.Code, status.Message);
        }
    }

    public static Task Write(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = InputException.OneLine(message) }));
    }

    private static (int Code, string Message)? Status(Exception e) => e switch
    {
        ApiException api => (api.Status, api.Message),
        BadHttpRequestException bad => (bad.StatusCode, bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "request body is over the size limit" : bad.Message),
        InputException input => (StatusCodes.Status400BadRequest, input.Message),
        InvalidDataException form => (StatusCodes.Status400BadRequest, $"malformed request body ({form.Message})"),
        OperationCanceledException => null,
        _ => (StatusCodes.Status500InternalServerError, $"internal error ({e.GetType().Name}); the request was not carried out"),
    };
}
