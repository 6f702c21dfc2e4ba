using System.Text.Json.Serialization;

namespace Shadow.Sidecar.Contracts.Terminal;

/// <summary>One entry of the terminal buffer: a chunk of a command's output, a system note, or a gap marker.</summary>
/// <param name="Seq">Position in the buffer; increases monotonically and never restarts (also across sidecar restarts).
/// A gap marker carries the seq of the last entry it stands for, so resuming after it skips exactly the lost ones.</param>
/// <param name="Timestamp">When the sidecar recorded the entry.</param>
/// <param name="CommandId">The command that produced it; null for a gap marker.</param>
/// <param name="Stream">stdout, stderr, system or gap.</param>
/// <param name="Text">The output chunk (as read from the pipe, not split into lines), or the note.</param>
/// <param name="Dropped">For a gap marker: how many entries are missing before the next one; otherwise null (omitted).</param>
public sealed record TerminalEntry(
    long Seq,
    DateTimeOffset Timestamp,
    string? CommandId,
    TerminalStream Stream,
    string Text,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Dropped = null);
