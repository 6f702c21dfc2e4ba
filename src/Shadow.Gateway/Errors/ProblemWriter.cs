using Microsoft.AspNetCore.Mvc;

namespace Shadow.Gateway.Errors;

/// <summary>Writes an <c>application/problem+json</c> answer through the app's <see cref="IProblemDetailsService"/>.</summary>
internal sealed class ProblemWriter(IProblemDetailsService problemDetails)
{
    public async ValueTask WriteAsync(HttpContext context, int status, string detail, string? title = null)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Detail = detail, Title = title, Instance = context.Request.Path };
        await problemDetails.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }

    /// <summary>The detail for a response that ended without a body (no route, wrong method, a parameter that did not bind).</summary>
    public static string DescribeEmptyStatus(HttpContext context)
    {
        var request = $"{context.Request.Method} {context.Request.Path}";
        return context.Response.StatusCode switch
        {
            StatusCodes.Status400BadRequest => $"{request}: a route, query or header value could not be read; see /openapi/v1.json for the parameter types.",
            StatusCodes.Status404NotFound => $"{request}: no such resource; see /openapi/v1.json for the routes this gateway serves.",
            StatusCodes.Status405MethodNotAllowed => $"{request}: this route does not accept {context.Request.Method}; see /openapi/v1.json.",
            StatusCodes.Status413PayloadTooLarge => $"{request}: the request body is too large.",
            StatusCodes.Status415UnsupportedMediaType => $"{request}: send the body as application/json.",
            var status => $"{request} answered {status}.",
        };
    }
}
