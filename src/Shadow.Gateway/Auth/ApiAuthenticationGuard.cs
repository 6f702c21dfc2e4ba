using Microsoft.AspNetCore.Authentication;

namespace Shadow.Gateway.Auth;

/// <summary>
/// Challenges every unauthenticated request under <c>/api</c>, including ones that match no endpoint (an unknown route or a
/// wrong method), so that without a key nothing under <c>/api</c> answers anything but 401.
/// </summary>
internal static class ApiAuthenticationGuard
{
    public static IApplicationBuilder UseApiAuthenticationGuard(this IApplicationBuilder app) =>
        app.Use(static async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
                && context.User.Identity?.IsAuthenticated != true)
            {
                await context.ChallengeAsync(ApiKeyAuthenticationHandler.SchemeName);
                return;
            }

            await next(context);
        });
}
