using Microsoft.AspNetCore.Http;

namespace Lshk.Serve;

/// <summary>A request the service refuses: answered with <see cref="Status"/> and <c>{"error": Message}</c>.</summary>
public sealed class ApiException(int status, string message) : Exception(Lshk.Core.InputException.OneLine(message))
{
    public int Status { get; } = status;

    public static ApiException BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);
    public static ApiException NotFound(string message) => new(StatusCodes.Status404NotFound, message);
    public static ApiException TooLarge(string message) => new(StatusCodes.Status413PayloadTooLarge, message);
    public static ApiException UnsupportedType(string message) => new(StatusCodes.Status415UnsupportedMediaType, message);
}
