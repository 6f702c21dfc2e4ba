using Shadow.Grains.Abstractions.Workspaces;
using Shadow.Grains.Runtime;

namespace Shadow.Grains.Workspaces;

/// <summary>What <see cref="WorkspaceGrain"/> keeps in storage.</summary>
[GenerateSerializer, Alias("shadow.workspace-state")]
public sealed class WorkspaceState
{
    [Id(0)] public WorkspaceSpec? Spec { get; set; }
    [Id(1)] public WorkspacePhase Phase { get; set; }
    [Id(2)] public WorkspaceHandle? Handle { get; set; }
    [Id(3)] public int ProvisionCount { get; set; }
    [Id(4)] public DateTimeOffset? LastUsedAt { get; set; }
    [Id(5)] public string? Error { get; set; }
    /// <summary>The base branch as cloned (the remote's default when the spec named none).</summary>
    [Id(6)] public string? BaseBranch { get; set; }
    /// <summary>True once the shadow branch exists on the remote: from then on the workspace is restored from it.</summary>
    [Id(7)] public bool BranchPushed { get; set; }
    [Id(8)] public string? HeadSha { get; set; }
    /// <summary>The last instance, kept after release or a crash so its storage can be re-attached.</summary>
    [Id(9)] public string? LastInstanceId { get; set; }
}
