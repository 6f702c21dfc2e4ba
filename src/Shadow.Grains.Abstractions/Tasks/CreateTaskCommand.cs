namespace Shadow.Grains.Abstractions.Tasks;

/// <summary>What a task is created from.</summary>
/// <param name="OwnerId">The user who owns the task.</param>
/// <param name="RepoUrl">The git remote (https, ssh, file:// or a path on the host).</param>
/// <param name="BaseBranch">The branch to start from; null for the remote's default branch.</param>
/// <param name="Prompt">The instruction, stored as the first user message.</param>
/// <param name="Title">A short title; null to derive one from the prompt.</param>
/// <param name="Model">The model the agent should use; null for the configured default.</param>
[GenerateSerializer, Immutable, Alias("shadow.create-task")]
public sealed record CreateTaskCommand(
    string OwnerId,
    string RepoUrl,
    string? BaseBranch,
    string Prompt,
    string? Title = null,
    string? Model = null);
