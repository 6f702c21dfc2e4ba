namespace Shadow.Grains.Runtime;

/// <summary>What <see cref="IWorkspaceRuntime.ProvisionAsync"/> is asked for.</summary>
/// <param name="TaskId">The task that owns the workspace (for labels, names and logs).</param>
/// <param name="PreviousInstanceId">The instance the workspace had before, whose storage may be re-attached; null for a new workspace.</param>
[GenerateSerializer, Immutable, Alias("shadow.runtime.provision-request")]
public sealed record WorkspaceProvisionRequest(string TaskId, string? PreviousInstanceId = null);
