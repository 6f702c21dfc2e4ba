namespace Shadow.Grains.Abstractions.Workspaces;

/// <summary>What a workspace holds: a clone of <paramref name="RepoUrl"/> on <paramref name="Branch"/>, started from <paramref name="BaseBranch"/>.</summary>
/// <param name="TaskId">The task that owns it.</param>
/// <param name="RepoUrl">The git remote.</param>
/// <param name="BaseBranch">The branch to clone first; null for the remote's default branch.</param>
/// <param name="Branch">The task's shadow branch, <c>shadow/task-{TaskId}</c>.</param>
[GenerateSerializer, Immutable, Alias("shadow.workspace-spec")]
public sealed record WorkspaceSpec(string TaskId, string RepoUrl, string? BaseBranch, string Branch);
