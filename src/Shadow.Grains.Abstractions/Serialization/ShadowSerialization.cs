using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Terminal;
using Shadow.Sidecar.Contracts.Watch;

namespace Shadow.Grains.Abstractions.Serialization;

/// <summary>
/// Lets Orleans carry the sidecar's own contracts (<c>Shadow.Sidecar.Contracts</c>, which has no Orleans dependency)
/// through grain calls with their System.Text.Json setup, so there is one copy of each contract (terminal entries and
/// watch events, which flow in bulk, use the binary surrogates in <see cref="TerminalEntrySurrogate"/> instead). Every silo and every
/// client calls <see cref="AddShadowSerialization"/>.
/// </summary>
public static class ShadowSerialization
{
    private const string ContractsNamespace = "Shadow.Sidecar.Contracts";

    /// <summary>Whether <paramref name="type"/> is a sidecar contract carried as JSON.</summary>
    public static bool IsSidecarContract(Type type) =>
        type?.Namespace is { } ns && (ns == ContractsNamespace || ns.StartsWith(ContractsNamespace + ".", StringComparison.Ordinal))
        && type != typeof(TerminalEntry) && type != typeof(WatchEvent);

    /// <summary>Registers the JSON codec for the sidecar contracts.</summary>
    public static IServiceCollection AddShadowSerialization(this IServiceCollection services) =>
        services.AddSerializer(s => s.AddJsonSerializer(IsSidecarContract, SidecarJson.Options));
}
