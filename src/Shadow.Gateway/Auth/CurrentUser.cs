using System.Security.Claims;

namespace Shadow.Gateway.Auth;

/// <summary>The authenticated caller of the current request.</summary>
internal sealed class CurrentUser(IHttpContextAccessor accessor)
{
    /// <summary>The caller's user id (the value its API key maps to).</summary>
    public string Id =>
        accessor.HttpContext?.User.FindFirstValue(ClaimTypes.NameIdentifier)
        ?? throw new InvalidOperationException("No authenticated user: the endpoint must require authorization.");
}
