using System.Security.Cryptography;
using System.Text;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Hosting;

namespace Shadow.Sidecar.Security;

/// <summary>Every route but <c>/health</c> needs <c>Authorization: Bearer &lt;SHADOW_SIDECAR_TOKEN&gt;</c>.</summary>
internal sealed class BearerTokenMiddleware(RequestDelegate next, SidecarToken token)
{
    public Task InvokeAsync(HttpContext context)
    {
        // Plain bytes, no hashing: SHA-256 would load OpenSSL (~4 MB of RSS) into every sidecar for one compare.
        if (token.Expected is not { } expected)
        {
            // --token-pipe and no token yet: not ready, not even for /health (the host waits for 200 before its first call).
            context.Response.Headers.RetryAfter = "1";
            return Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Not ready",
                "The sidecar is waiting for its bearer token (--token-pipe); try again shortly.");
        }

        if (context.Request.Path.Equals(SidecarRoutes.Health, StringComparison.Ordinal) || IsAuthorized(context.Request, expected))
        {
            return next(context);
        }

        context.Response.Headers.WWWAuthenticate = "Bearer";
        return Problems.WriteAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized",
            "A valid bearer token is required: send 'Authorization: Bearer <token>' with the workspace's token.");
    }

    private static bool IsAuthorized(HttpRequest request, byte[] expected)
    {
        var header = request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var token = header.AsSpan(Scheme.Length).Trim();
        if (token.Length > SidecarOptions.MaxTokenLength)
        {
            return false;
        }

        Span<byte> presented = stackalloc byte[SidecarOptions.MaxTokenLength * 3];

        var length = Encoding.UTF8.GetBytes(token, presented);
        // Constant time over the content; only the length (not a secret worth hiding) can show through timing.
        return length == expected.Length && CryptographicOperations.FixedTimeEquals(presented[..length], expected);
    }
}
