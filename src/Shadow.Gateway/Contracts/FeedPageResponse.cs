namespace Shadow.Gateway.Contracts;

/// <summary>A page of a task's terminal output or file changes.</summary>
/// <typeparam name="T">The entry: the sidecar's <c>TerminalEntry</c> or <c>WatchEvent</c>, numbered by the task.</typeparam>
/// <param name="Entries">Entries after <c>since</c>, oldest first; a gap marker first when some were lost.</param>
/// <param name="NextSince">Pass as <c>since</c> to continue after this page.</param>
/// <param name="LastSeq">The newest seq held.</param>
/// <param name="HasMore">Whether more entries follow this page.</param>
public sealed record FeedPageResponse<T>(IReadOnlyList<T> Entries, long NextSince, long LastSeq, bool HasMore);
