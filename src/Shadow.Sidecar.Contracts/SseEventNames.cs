using Shadow.Sidecar.Contracts.Terminal;
using Shadow.Sidecar.Contracts.Watch;

namespace Shadow.Sidecar.Contracts;

/// <summary>The SSE event names of the terminal and watch streams: the sidecar sends them, the gateway passes the same ones on.</summary>
public static class SseEventNames
{
    /// <summary><c>stdout</c>, <c>stderr</c>, <c>system</c> or <c>gap</c>.</summary>
    public static string For(TerminalStream stream) => stream switch
    {
        TerminalStream.Stdout => "stdout",
        TerminalStream.Stderr => "stderr",
        TerminalStream.System => "system",
        _ => "gap",
    };

    /// <summary><c>created</c>, <c>modified</c>, <c>deleted</c>, <c>renamed</c>, <c>rescan</c> or <c>gap</c>.</summary>
    public static string For(WatchEventKind kind) => kind switch
    {
        WatchEventKind.Created => "created",
        WatchEventKind.Modified => "modified",
        WatchEventKind.Deleted => "deleted",
        WatchEventKind.Renamed => "renamed",
        WatchEventKind.Rescan => "rescan",
        _ => "gap",
    };
}
