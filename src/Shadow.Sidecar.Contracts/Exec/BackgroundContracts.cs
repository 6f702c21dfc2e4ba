using System.Text.Json.Serialization;
using Shadow.Sidecar.Contracts.Terminal;

namespace Shadow.Sidecar.Contracts.Exec;

/// <summary>Body of <c>POST /exec/background</c>: a command that runs until it exits or is killed.</summary>
/// <param name="Command">The command string, handed to <c>bash -c</c> unchanged. Must not be empty.</param>
/// <param name="Cwd">Working folder relative to the workspace root; empty or null means the root.</param>
/// <param name="Env">Extra environment variables, as for <see cref="ExecRequest"/>.</param>
public sealed record BackgroundExecRequest(string Command, string? Cwd = null, IReadOnlyDictionary<string, string>? Env = null);

/// <summary>Answer of <c>POST /exec/background</c>.</summary>
/// <param name="Id">Id for the output and kill routes.</param>
/// <param name="Pid">Process id (also its process group id).</param>
/// <param name="StartedAt">When it started.</param>
public sealed record BackgroundExecStarted(string Id, int Pid, DateTimeOffset StartedAt);

/// <summary>State of a background command.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BackgroundCommandStatus>))]
public enum BackgroundCommandStatus
{
    /// <summary>Still running.</summary>
    [JsonStringEnumMemberName("running")]
    Running,

    /// <summary>Exited by itself.</summary>
    [JsonStringEnumMemberName("exited")]
    Exited,

    /// <summary>Killed (kill route or sidecar shutdown).</summary>
    [JsonStringEnumMemberName("killed")]
    Killed,
}

/// <summary>One background command.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Command">The command string.</param>
/// <param name="Cwd">Working folder relative to the workspace root ("" for the root).</param>
/// <param name="Pid">Process id (and process group id).</param>
/// <param name="Status">running, exited or killed.</param>
/// <param name="ExitCode">Exit code once it ended.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="EndedAt">When it ended, or null while running.</param>
public sealed record BackgroundCommandInfo(
    string Id,
    string Command,
    string Cwd,
    int Pid,
    BackgroundCommandStatus Status,
    int? ExitCode,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt);

/// <summary>Answer of <c>GET /exec/background</c>.</summary>
/// <param name="Commands">Running commands and the most recent finished ones, oldest first.</param>
public sealed record BackgroundCommandList(IReadOnlyList<BackgroundCommandInfo> Commands);

/// <summary>Answer of <c>GET /exec/background/{id}/output?since=</c>.</summary>
/// <param name="Command">The command and its status.</param>
/// <param name="Entries">Its terminal entries with seq greater than <c>since</c> (output and system notes), oldest first;
/// starts with a gap marker when entries after <c>since</c> left the buffer.</param>
/// <param name="NextSince">Pass as <c>since</c> next time.</param>
/// <param name="HasMore">Whether the page was cut by <c>limit</c>.</param>
public sealed record BackgroundOutputResponse(BackgroundCommandInfo Command, IReadOnlyList<TerminalEntry> Entries, long NextSince, bool HasMore);
