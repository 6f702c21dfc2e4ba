namespace Shadow.Sidecar.Contracts.Terminal;

/// <summary>Answer of <c>POST /terminal/clear</c>.</summary>
/// <param name="Cleared">How many entries were removed.</param>
/// <param name="LastSeq">The newest seq given out; the next entry gets a larger one.</param>
public sealed record TerminalClearResponse(int Cleared, long LastSeq);
