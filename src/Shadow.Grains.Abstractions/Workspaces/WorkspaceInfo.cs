namespace Shadow.Grains.Abstractions.Workspaces;

/// <summary>A workspace as it stands (never its token).</summary>
/// <param name="TaskId">The task that owns it.</param>
/// <param name="Phase">Where it is.</param>
/// <param name="RuntimeKind">Which runtime runs it (<c>Local</c>, <c>Kubernetes</c>, <c>MicroVm</c>).</param>
/// <param name="InstanceId">The runtime's id of its current instance; null when none is provisioned.</param>
/// <param name="ProvisionCount">How many times it was provisioned (1 at first; more after a dead sidecar or a reclaim).</param>
/// <param name="LastUsedAt">When a tool call last went through.</param>
/// <param name="Error">The last provisioning or health error, if any.</param>
/// <param name="BaseBranch">The branch it started from, once cloned.</param>
/// <param name="HeadSha">The commit the shadow branch pointed at after the last clone or restore.</param>
[GenerateSerializer, Immutable, Alias("shadow.workspace-info")]
public sealed record WorkspaceInfo(
    string TaskId,
    WorkspacePhase Phase,
    string RuntimeKind,
    string? InstanceId,
    int ProvisionCount,
    DateTimeOffset? LastUsedAt,
    string? Error,
    string? BaseBranch,
    string? HeadSha);
