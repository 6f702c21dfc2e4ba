using System.Text.Json;
using Shadow.Sidecar.Contracts.Common;

namespace Shadow.Sidecar.Hosting;

/// <summary>Writes every error the sidecar returns as <c>application/problem+json</c>.</summary>
internal static class Problems
{
    public const string ContentType = "application/problem+json";

    public static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = ContentType;
        var problem = new ProblemResponse($"https://httpstatuses.io/{status}", title, status, detail, context.Request.Path);
        await JsonSerializer.SerializeAsync(context.Response.Body, problem, CommonJsonContext.Default.ProblemResponse, context.RequestAborted)
            .ConfigureAwait(false);
    }

    public static string DescribeEmptyStatus(HttpContext context)
    {
        var request = $"{context.Request.Method} {context.Request.Path}";
        return context.Response.StatusCode switch
        {
            400 => $"{request}: a query or route parameter could not be read (for example text where a number is expected); see /openapi/v1.json for the parameter types.",
            404 => $"{request}: no such route; see /openapi/v1.json for the routes this sidecar serves.",
            405 => $"{request}: this route does not accept {context.Request.Method}; see /openapi/v1.json.",
            415 => $"{request}: send the body as application/json.",
            var status => $"{request} answered {status}.",
        };
    }

    public static string TitleFor(int status) => status switch
    {
        400 => "Bad request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not found",
        405 => "Method not allowed",
        409 => "Conflict",
        413 => "Payload too large",
        415 => "Unsupported media type",
        422 => "Unprocessable request",
        _ => "Error",
    };
}
