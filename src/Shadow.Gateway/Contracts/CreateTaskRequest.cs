namespace Shadow.Gateway.Contracts;

/// <summary>Body of <c>POST /api/tasks</c>. Members are optional to the JSON reader, so a missing one answers a validation problem naming it.</summary>
/// <param name="RepoUrl">The git remote: http(s), ssh, git or file URL, scp-like <c>user@host:path</c>, or an absolute path on the host.</param>
/// <param name="BaseBranch">The branch to start from; omitted for the remote's default branch.</param>
/// <param name="Prompt">The instruction (at most 100 KB).</param>
/// <param name="Model">The model the agent should use; omitted for the configured default.</param>
/// <param name="Title">A short title (at most 200 characters); omitted to derive one from the prompt.</param>
public sealed record CreateTaskRequest(
    string? RepoUrl = null,
    string? BaseBranch = null,
    string? Prompt = null,
    string? Model = null,
    string? Title = null);
