namespace Shadow.Grains.Abstractions.Terminals;

/// <summary>A page of a feed (terminal output or file changes) after a cursor.</summary>
/// <typeparam name="T">The entry type: the sidecar's <c>TerminalEntry</c> or <c>WatchEvent</c>, renumbered by the grain.</typeparam>
/// <param name="Entries">Entries with <c>Seq</c> greater than the cursor, oldest first. When the cursor is older than the
/// grain's buffer, the first entry is a gap marker that says how many entries were lost.</param>
/// <param name="LastSeq">The newest seq the grain holds (0 when empty).</param>
/// <param name="HasMore">True when more entries than the page limit follow.</param>
[GenerateSerializer, Immutable, Alias("shadow.feed-page`1")]
public sealed record FeedPage<T>(IReadOnlyList<T> Entries, long LastSeq, bool HasMore);
