namespace Shadow.Grains.Workspaces;

/// <summary>How a grain of the same silo reaches a workspace's current sidecar (never leaves the silo: not in the public contract).</summary>
/// <param name="InstanceId">The runtime's instance id; a new one means a new sidecar (its seq numbers start again).</param>
/// <param name="BaseAddress">Where the sidecar listens.</param>
/// <param name="Token">Its bearer token; not part of <see cref="ToString"/>.</param>
[GenerateSerializer, Immutable, Alias("shadow.sidecar-connection")]
public sealed record SidecarConnection(string InstanceId, Uri BaseAddress, string Token)
{
    /// <summary>Everything but the token.</summary>
    public override string ToString() => $"SidecarConnection {{ InstanceId = {InstanceId}, BaseAddress = {BaseAddress} }}";
}
