namespace Shadow.Sidecar.Hosting;

/// <summary>A request the sidecar refuses on purpose; the exception handler turns it into problem+json.</summary>
internal sealed class SidecarException(int statusCode, string title, string detail) : Exception(detail)
{
    public int StatusCode { get; } = statusCode;

    public string Title { get; } = title;

    public static SidecarException BadRequest(string detail) => new(StatusCodes.Status400BadRequest, "Bad request", detail);

    public static SidecarException NotFound(string detail) => new(StatusCodes.Status404NotFound, "Not found", detail);

    public static SidecarException Conflict(string detail) => new(StatusCodes.Status409Conflict, "Conflict", detail);

    public static SidecarException TooLarge(string detail) => new(StatusCodes.Status413PayloadTooLarge, "Payload too large", detail);

    public static SidecarException Unprocessable(string detail) => new(StatusCodes.Status422UnprocessableEntity, "Unprocessable request", detail);
}
