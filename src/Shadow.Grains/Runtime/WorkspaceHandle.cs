namespace Shadow.Grains.Runtime;

/// <summary>A provisioned workspace instance: where its sidecar listens and the token it wants.</summary>
/// <param name="InstanceId">The runtime's id of this instance (a folder name, a pod name, a VM id).</param>
/// <param name="BaseAddress">The sidecar's base address, e.g. <c>http://127.0.0.1:41234/</c>.</param>
/// <param name="Token">The sidecar's bearer token (per workspace); never logged (not part of <see cref="ToString"/>).</param>
/// <param name="Reattached">True when the instance's storage was kept from <see cref="WorkspaceProvisionRequest.PreviousInstanceId"/>.</param>
[GenerateSerializer, Immutable, Alias("shadow.runtime.handle")]
public sealed record WorkspaceHandle(string InstanceId, Uri BaseAddress, string Token, bool Reattached)
{
    /// <summary>Everything but the token.</summary>
    public override string ToString() => $"WorkspaceHandle {{ InstanceId = {InstanceId}, BaseAddress = {BaseAddress}, Reattached = {Reattached} }}";
}
