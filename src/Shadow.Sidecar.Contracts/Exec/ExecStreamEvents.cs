using System.Text.Json.Serialization;
using Shadow.Sidecar.Contracts.Terminal;

namespace Shadow.Sidecar.Contracts.Exec;

/// <summary>Data of the first SSE event (<c>start</c>) of <c>POST /exec/stream</c>.</summary>
/// <param name="CommandId">Id of the command.</param>
/// <param name="Pid">Process id (also its process group id).</param>
public sealed record ExecStartedEvent(string CommandId, int Pid);

/// <summary>Data of the last SSE event (<c>exit</c>) of <c>POST /exec/stream</c>.</summary>
/// <param name="CommandId">Id of the command.</param>
/// <param name="ExitCode">Exit code; 128 + signal number when a signal ended it.</param>
/// <param name="DurationMs">Wall-clock milliseconds from start to exit.</param>
/// <param name="TimedOut">Whether the timeout ended it.</param>
/// <param name="LimitExceeded">The sandbox limit it ran into, as in <see cref="ExecResponse.LimitExceeded"/>; null when none.</param>
public sealed record ExecExitEvent(string CommandId, int ExitCode, long DurationMs, bool TimedOut, string? LimitExceeded = null);

/// <summary>Kind of an event of <c>POST /exec/stream</c> (the SSE event type).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ExecStreamEventType>))]
public enum ExecStreamEventType
{
    /// <summary><c>start</c>: data is an <see cref="ExecStartedEvent"/>.</summary>
    [JsonStringEnumMemberName("start")]
    Start,

    /// <summary><c>stdout</c>: data is a <see cref="TerminalEntry"/> with the chunk.</summary>
    [JsonStringEnumMemberName("stdout")]
    Stdout,

    /// <summary><c>stderr</c>: data is a <see cref="TerminalEntry"/> with the chunk.</summary>
    [JsonStringEnumMemberName("stderr")]
    Stderr,

    /// <summary><c>gap</c>: the reader fell so far behind that output left the buffer; data is a gap <see cref="TerminalEntry"/>.</summary>
    [JsonStringEnumMemberName("gap")]
    Gap,

    /// <summary><c>exit</c>: data is an <see cref="ExecExitEvent"/>; the last event.</summary>
    [JsonStringEnumMemberName("exit")]
    Exit,
}

/// <summary>One event of <c>POST /exec/stream</c> as the client yields it; exactly one of the payloads is set.</summary>
/// <param name="Type">Which event.</param>
/// <param name="Started">For <see cref="ExecStreamEventType.Start"/>.</param>
/// <param name="Output">For stdout, stderr and gap.</param>
/// <param name="Exit">For <see cref="ExecStreamEventType.Exit"/>.</param>
public sealed record ExecStreamEvent(ExecStreamEventType Type, ExecStartedEvent? Started, TerminalEntry? Output, ExecExitEvent? Exit);
