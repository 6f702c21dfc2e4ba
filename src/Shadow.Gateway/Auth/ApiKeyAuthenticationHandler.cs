using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Shadow.Gateway.Errors;

namespace Shadow.Gateway.Auth;

/// <summary>Authenticates <c>Authorization: Bearer &lt;api key&gt;</c> against <c>Shadow:Auth:ApiKeys</c>; a refusal is a 401 problem.</summary>
internal sealed partial class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore keys,
    ProblemWriter problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    private const string BearerPrefix = "Bearer ";
    private const string NoKeyDetail = "Send an API key as 'Authorization: Bearer <key>' (keys are configured under Shadow:Auth:ApiKeys).";
    private const string BadKeyDetail = "The API key is not valid.";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.Fail("The Authorization header is not a bearer token."));
        }

        var userId = keys.FindUser(header[BearerPrefix.Length..].Trim());
        if (userId is null)
        {
            LogInformationUnknownKey(Logger, Request.Method, Request.Path);
            return Task.FromResult(AuthenticateResult.Fail(BadKeyDetail));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, userId)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var detail = result.Failure is { } failure ? failure.Message : NoKeyDetail;
        Response.Headers[HeaderNames.WWWAuthenticate] = result.Failure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        await problems.WriteAsync(Context, StatusCodes.Status401Unauthorized, detail);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused an unknown API key on {Method} {Path}")]
    private static partial void LogInformationUnknownKey(ILogger logger, string method, string path);
}
