namespace Shadow.Grains.Abstractions.Terminals;

/// <summary>A feed's counters.</summary>
/// <param name="TaskId">Whose feed.</param>
/// <param name="Count">Entries held in the grain's bounded buffer.</param>
/// <param name="OldestSeq">The oldest seq held (0 when empty).</param>
/// <param name="LastSeq">The newest seq (0 when empty).</param>
/// <param name="Dropped">Entries evicted from the grain's buffer so far.</param>
/// <param name="Following">Whether the grain is following a live sidecar right now.</param>
[GenerateSerializer, Immutable, Alias("shadow.feed-info")]
public sealed record FeedInfo(string TaskId, int Count, long OldestSeq, long LastSeq, long Dropped, bool Following);
