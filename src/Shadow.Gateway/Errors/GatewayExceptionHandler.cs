using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Net.Http.Headers;
using Orleans.Runtime;
using Shadow.Grains.Abstractions.Errors;

namespace Shadow.Gateway.Errors;

/// <summary>Maps the grains' domain exceptions (and malformed requests) to problem+json; anything else is a logged 500.</summary>
internal sealed partial class GatewayExceptionHandler(ProblemWriter problems, ILogger<GatewayExceptionHandler> logger) : IExceptionHandler
{
    private const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, detail) = exception switch
        {
            TaskNotFoundException e => (StatusCodes.Status404NotFound, e.Message),
            TaskConflictException e => (StatusCodes.Status409Conflict, e.Message),
            InvalidTaskRequestException e => (StatusCodes.Status400BadRequest, e.Message),
            WorkspaceUnavailableException e => (StatusCodes.Status503ServiceUnavailable, e.Message),
            WorkspaceProblemException e => (e.Status is >= 400 and < 600 ? e.Status : StatusCodes.Status502BadGateway, e.Detail),
            BadHttpRequestException e => (e.StatusCode, Describe(e)),
            JsonException e => (StatusCodes.Status400BadRequest, $"The request body is not valid JSON: {e.Message}"),
            SiloUnavailableException or OrleansMessageRejectionException =>
                (StatusCodes.Status503ServiceUnavailable, "The cluster could not serve the call right now; retry shortly."),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested =>
                (StatusCodes.Status499ClientClosedRequest, "The client went away."),
            _ => (StatusCodes.Status500InternalServerError, "The gateway failed to serve this request; the error is in its log."),
        };

        if (status >= 500 && status != StatusCodes.Status503ServiceUnavailable)
        {
            LogErrorUnhandled(exception, httpContext.Request.Method, httpContext.Request.Path);
        }

        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers[HeaderNames.RetryAfter] = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }

        await problems.WriteAsync(httpContext, status, detail);
        return true;
    }

    // ASP.NET's message names the parameter; the inner JSON error names the field and its position.
    private static string Describe(BadHttpRequestException e) =>
        e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message;

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled failure serving {Method} {Path}")]
    private partial void LogErrorUnhandled(Exception exception, string method, string path);
}
