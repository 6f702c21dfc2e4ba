using System.Net;
using Microsoft.Extensions.Options;

namespace Shadow.Grains.Hosting;

/// <summary>Checks <c>Shadow:Orleans:*</c>, collecting every failure with the setting it concerns.</summary>
public sealed class ShadowOrleansOptionsValidator : IValidateOptions<ShadowOrleansOptions>
{
    public ValidateOptionsResult Validate(string? name, ShadowOrleansOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = [];
        var section = ShadowOrleansOptions.SectionName;
        if (!options.IsClient && !string.Equals(options.Mode, ShadowOrleansOptions.CoHostedMode, StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"{section}:Mode = '{options.Mode}' is not a mode; use '{ShadowOrleansOptions.CoHostedMode}' (the default) "
                + $"or '{ShadowOrleansOptions.ClientMode}'.");
        }

        if (!string.IsNullOrWhiteSpace(options.AdvertisedIPAddress) && !IPAddress.TryParse(options.AdvertisedIPAddress, out _))
        {
            failures.Add($"{section}:AdvertisedIPAddress = '{options.AdvertisedIPAddress}' is not an IP address (e.g. 10.0.0.5; leave it empty to use this host's address).");
        }

        if (options.ProbeTimeout <= TimeSpan.Zero || options.ProbeTimeout > TimeSpan.FromMinutes(1))
        {
            failures.Add($"{section}:ProbeTimeout must be between 00:00:00.001 and 00:01:00 (is {options.ProbeTimeout}).");
        }

        if (options.MissedProbesLimit is < 1 or > 10)
        {
            failures.Add($"{section}:MissedProbesLimit must be between 1 and 10 (is {options.MissedProbesLimit}).");
        }

        CheckPort(failures, $"{section}:SiloPort", options.SiloPort);
        CheckPort(failures, $"{section}:GatewayPort", options.GatewayPort);
        if (options.SiloPort == options.GatewayPort)
        {
            failures.Add($"{section}:SiloPort and {section}:GatewayPort must differ (both are {options.SiloPort}).");
        }

        if (string.IsNullOrWhiteSpace(options.ClusterId))
        {
            failures.Add($"{section}:ClusterId must not be empty.");
        }

        if (string.IsNullOrWhiteSpace(options.ServiceId))
        {
            failures.Add($"{section}:ServiceId must not be empty.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckPort(List<string> failures, string setting, int port)
    {
        if (port is < 1 or > 65535)
        {
            failures.Add($"{setting} must be a TCP port between 1 and 65535 (is {port}).");
        }
    }
}
