namespace Shadow.Sidecar.Contracts.Common;

/// <summary>Answer of <c>GET /status</c>: what the sidecar serves and since when.</summary>
/// <param name="Workspace">The workspace root on the sidecar's file system.</param>
/// <param name="Version">The sidecar's version.</param>
/// <param name="StartedAt">When the sidecar started.</param>
/// <param name="UptimeSeconds">Seconds since start.</param>
/// <param name="GitBranch">The checked-out branch, or null when the workspace is not a repository.</param>
/// <param name="GitCommit">The HEAD commit sha, or null.</param>
/// <param name="Sandbox">How commands are confined (e.g. "bubblewrap, network off, …"; "none …" when they are not).</param>
public sealed record StatusResponse(
    string Workspace,
    string Version,
    DateTimeOffset StartedAt,
    double UptimeSeconds,
    string? GitBranch,
    string? GitCommit,
    string? Sandbox = null);
