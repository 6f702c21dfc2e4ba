using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Shadow.Sidecar.Hosting;

/// <summary>Maps refused requests, malformed bodies and unexpected failures to problem+json.</summary>
internal sealed partial class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail) = exception switch
        {
            SidecarException e => (e.StatusCode, e.Title, e.Message),
            BadHttpRequestException e => (e.StatusCode, Problems.TitleFor(e.StatusCode), Describe(e)),
            JsonException e => (StatusCodes.Status400BadRequest, "Bad request", $"Malformed JSON: {e.Message}"),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => (499, "Client closed request", "The client went away."),
            _ => (StatusCodes.Status500InternalServerError, "Internal error", "The sidecar failed to serve this request; see its log."),
        };

        if (status >= 500)
        {
            LogErrorUnhandled(exception, httpContext.Request.Method, httpContext.Request.Path);
        }

        await Problems.WriteAsync(httpContext, status, title, detail).ConfigureAwait(false);
        return true;
    }

    // ASP.NET wraps the JSON error; its message names the parameter, the inner one names the field and position.
    private static string Describe(BadHttpRequestException e) =>
        e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message;

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled failure serving {Method} {Path}")]
    private partial void LogErrorUnhandled(Exception exception, string method, string path);
}
