namespace Shadow.Sidecar.Contracts.Terminal;

/// <summary>Answer of <c>GET /terminal/stats</c>.</summary>
/// <param name="Count">Entries kept now.</param>
/// <param name="Bytes">UTF-8 bytes of their text.</param>
/// <param name="FirstSeq">Seq of the oldest entry kept, or <c>LastSeq + 1</c> when empty.</param>
/// <param name="LastSeq">The newest seq ever given out (0 when none yet).</param>
/// <param name="DroppedTotal">Entries evicted because the buffer was full, since the sidecar started.</param>
/// <param name="MaxEntries">Capacity in entries.</param>
/// <param name="MaxBytes">Capacity in bytes.</param>
public sealed record TerminalStatsResponse(int Count, long Bytes, long FirstSeq, long LastSeq, long DroppedTotal, int MaxEntries, long MaxBytes);
