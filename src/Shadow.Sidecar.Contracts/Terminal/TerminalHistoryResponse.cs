namespace Shadow.Sidecar.Contracts.Terminal;

/// <summary>Answer of <c>GET /terminal/history?since=&amp;limit=</c>.</summary>
/// <param name="Entries">Entries with seq greater than <c>since</c>, oldest first; starts with a gap marker when some were lost.</param>
/// <param name="NextSince">Pass this as <c>since</c> to continue where this page ended.</param>
/// <param name="LastSeq">The newest seq in the buffer when this page was taken.</param>
/// <param name="HasMore">Whether entries after <paramref name="NextSince"/> exist (the page was cut by <c>limit</c>).</param>
public sealed record TerminalHistoryResponse(IReadOnlyList<TerminalEntry> Entries, long NextSince, long LastSeq, bool HasMore);
