namespace Shadow.Sidecar.Contracts.Exec;

/// <summary>Body of <c>POST /exec</c> and <c>POST /exec/stream</c>: a command run as <c>bash -c &lt;Command&gt;</c>.</summary>
/// <param name="Command">The command string, handed to bash unchanged. Must not be empty.</param>
/// <param name="Cwd">Working folder relative to the workspace root; empty or null means the root.</param>
/// <param name="TimeoutSeconds">Seconds before the whole process group is killed; null means the sidecar's default (30 s).</param>
/// <param name="Env">Extra environment variables (names <c>[A-Za-z_][A-Za-z0-9_]*</c>), on top of the sidecar's clean environment.</param>
public sealed record ExecRequest(
    string Command,
    string? Cwd = null,
    int? TimeoutSeconds = null,
    IReadOnlyDictionary<string, string>? Env = null);
