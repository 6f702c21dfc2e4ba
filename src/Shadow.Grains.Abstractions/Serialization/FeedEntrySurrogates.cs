using Shadow.Sidecar.Contracts.Terminal;
using Shadow.Sidecar.Contracts.Watch;

namespace Shadow.Grains.Abstractions.Serialization;

/// <summary>
/// How a terminal entry crosses grain calls and grain state: Orleans' binary format rather than JSON. Terminal entries are
/// the one contract that flows in bulk (every line a command prints, kept in the terminal grain's state and streamed to
/// every reader), so they skip the JSON codec the other sidecar contracts use. The record itself stays the sidecar's.
/// </summary>
[GenerateSerializer, Immutable, Alias("shadow.terminal-entry")]
public struct TerminalEntrySurrogate
{
    [Id(0)] public long Seq;
    [Id(1)] public DateTimeOffset Timestamp;
    [Id(2)] public string? CommandId;
    [Id(3)] public int Stream;
    [Id(4)] public string Text;
    [Id(5)] public long? Dropped;
}

/// <summary>Converts <see cref="TerminalEntry"/> to and from <see cref="TerminalEntrySurrogate"/>.</summary>
[RegisterConverter]
public sealed class TerminalEntrySurrogateConverter : IConverter<TerminalEntry, TerminalEntrySurrogate>
{
    /// <inheritdoc />
    public TerminalEntry ConvertFromSurrogate(in TerminalEntrySurrogate surrogate) =>
        new(surrogate.Seq, surrogate.Timestamp, surrogate.CommandId, (TerminalStream)surrogate.Stream, surrogate.Text, surrogate.Dropped);

    /// <inheritdoc />
    public TerminalEntrySurrogate ConvertToSurrogate(in TerminalEntry value) => new()
    {
        Seq = value.Seq,
        Timestamp = value.Timestamp,
        CommandId = value.CommandId,
        Stream = (int)value.Stream,
        Text = value.Text,
        Dropped = value.Dropped,
    };
}

/// <summary>How a file-change event crosses grain calls and grain state (binary, like <see cref="TerminalEntrySurrogate"/>).</summary>
[GenerateSerializer, Immutable, Alias("shadow.watch-event")]
public struct WatchEventSurrogate
{
    [Id(0)] public long Seq;
    [Id(1)] public int Kind;
    [Id(2)] public string Path;
    [Id(3)] public string? OldPath;
    [Id(4)] public DateTimeOffset Time;
}

/// <summary>Converts <see cref="WatchEvent"/> to and from <see cref="WatchEventSurrogate"/>.</summary>
[RegisterConverter]
public sealed class WatchEventSurrogateConverter : IConverter<WatchEvent, WatchEventSurrogate>
{
    /// <inheritdoc />
    public WatchEvent ConvertFromSurrogate(in WatchEventSurrogate surrogate) =>
        new(surrogate.Seq, (WatchEventKind)surrogate.Kind, surrogate.Path, surrogate.OldPath, surrogate.Time);

    /// <inheritdoc />
    public WatchEventSurrogate ConvertToSurrogate(in WatchEvent value) => new()
    {
        Seq = value.Seq,
        Kind = (int)value.Kind,
        Path = value.Path,
        OldPath = value.OldPath,
        Time = value.Time,
    };
}
