using System.Text.Json.Serialization;

namespace Shadow.Sidecar.Contracts.Watch;

/// <summary>What happened to a path.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WatchEventKind>))]
public enum WatchEventKind
{
    /// <summary>A file or folder appeared (a create followed by writes within the debounce window stays a create).</summary>
    Created,
    /// <summary>A file's content or size changed.</summary>
    Modified,
    /// <summary>A file or folder went away.</summary>
    Deleted,
    /// <summary>A file or folder moved from <c>OldPath</c> to <c>Path</c>.</summary>
    Renamed,
    /// <summary>The watcher lost events (the kernel queue overflowed): rescan the workspace. Path is empty.</summary>
    Rescan,
    /// <summary>Only on a stream: events up to this seq were not delivered to this reader (evicted from the buffer
    /// before it caught up); rescan. Not stored in the buffer.</summary>
    Gap,
}

/// <summary>One change in the workspace.</summary>
/// <param name="Seq">Monotonically increasing number (the SSE event id).</param>
/// <param name="Kind">What happened.</param>
/// <param name="Path">Path relative to the workspace root, forward slashes (empty for markers).</param>
/// <param name="OldPath">The former path of a rename.</param>
/// <param name="Time">When the event was recorded (after debouncing).</param>
public sealed record WatchEvent(long Seq, WatchEventKind Kind, string Path, string? OldPath, DateTimeOffset Time);

/// <summary>Answer of <c>GET /watch/events?since=</c>.</summary>
/// <param name="Events">Events with a seq greater than <c>since</c>, oldest first.</param>
/// <param name="LastSeq">The newest seq recorded so far (pass it as <c>since</c> next time).</param>
/// <param name="Gap">Some events after <c>since</c> were evicted from the buffer: rescan.</param>
public sealed record WatchEventsResponse(IReadOnlyList<WatchEvent> Events, long LastSeq, bool Gap);

/// <summary>Answer of <c>GET /watch/status</c>, <c>POST /watch/pause</c> and <c>POST /watch/resume</c>.</summary>
/// <param name="Watching">Whether the file system watcher is running.</param>
/// <param name="Paused">Whether recording is paused.</param>
/// <param name="LastSeq">The newest seq recorded so far.</param>
/// <param name="EventCount">Events held in the buffer.</param>
/// <param name="OldestSeq">The oldest seq still in the buffer, or null when it is empty.</param>
/// <param name="DebounceMilliseconds">The debounce window.</param>
/// <param name="IgnoredFolders">Folder names whose contents are never reported (at any depth), <c>.git</c> included.</param>
public sealed record WatchStatusResponse(bool Watching, bool Paused, long LastSeq, int EventCount, long? OldestSeq, int DebounceMilliseconds,
    IReadOnlyList<string> IgnoredFolders);
