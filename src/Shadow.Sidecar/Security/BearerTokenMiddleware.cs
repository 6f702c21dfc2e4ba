using System.Security.Cryptography;
using System.Text;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Hosting;

namespace Shadow.Sidecar.Security;

/// <summary>Every route but <c>/health</c> needs <c>Authorization: Bearer &lt;SHADOW_SIDECAR_TOKEN&gt;</c>.</summary>
internal sealed class BearerTokenMiddleware(RequestDelegate next, SidecarOptions options)
{
    // Hashing both sides first makes the comparison constant-time in the token's length too.
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(options.Token));

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path.Equals(SidecarRoutes.Health, StringComparison.Ordinal) || IsAuthorized(context.Request))
        {
            return next(context);
        }

        context.Response.Headers.WWWAuthenticate = "Bearer";
        return Problems.WriteAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized",
            "A valid bearer token is required: send 'Authorization: Bearer <token>' with the workspace's token.");
    }

    private bool IsAuthorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header.AsSpan(Scheme.Length).Trim().ToString()));
        return CryptographicOperations.FixedTimeEquals(presented, _expected);
    }
}
