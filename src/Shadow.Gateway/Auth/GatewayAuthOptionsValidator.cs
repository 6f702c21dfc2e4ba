using Microsoft.Extensions.Options;

namespace Shadow.Gateway.Auth;

/// <summary>Refuses to start without a usable API key: every failure names <c>Shadow:Auth:ApiKeys</c>.</summary>
internal sealed class GatewayAuthOptionsValidator : IValidateOptions<GatewayAuthOptions>
{
    private const string Setting = GatewayAuthOptions.SectionName + ":ApiKeys";

    public ValidateOptionsResult Validate(string? name, GatewayAuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ApiKeys.Count == 0)
        {
            return ValidateOptionsResult.Fail(
                $"{Setting} is empty: configure at least one API key, e.g. {Setting}:<key>=<userId> "
                + $"(environment: Shadow__Auth__ApiKeys__<key>=<userId>); keys are at least {GatewayAuthOptions.MinimumKeyLength} characters.");
        }

        List<string> failures = [];
        var index = 0;
        foreach (var (key, userId) in options.ApiKeys)
        {
            index++;
            // Never echo a key: name it by position and length only.
            if (key.Length < GatewayAuthOptions.MinimumKeyLength)
            {
                failures.Add($"{Setting}: key #{index} has {key.Length} characters; use at least {GatewayAuthOptions.MinimumKeyLength}.");
            }

            if (key.Any(char.IsWhiteSpace))
            {
                failures.Add($"{Setting}: key #{index} contains whitespace, which a bearer token cannot carry.");
            }

            if (string.IsNullOrWhiteSpace(userId))
            {
                failures.Add($"{Setting}: key #{index} maps to an empty user id; set {Setting}:<key> to the user id.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
