using Shadow.Sidecar.Contracts.Terminal;

namespace Shadow.Grains.Abstractions.Terminals;

/// <summary>
/// A task's terminal (keyed by the task id): it follows the sidecar's terminal buffer from its last seq (nothing is lost
/// when the sidecar restarts or the grain moves), keeps a bounded buffer in its state and serves any number of readers.
/// Seq numbers are the grain's own: monotonically increasing across every sidecar the task has had.
/// </summary>
[Alias("shadow.terminal")]
public interface ITerminalGrain : IGrainWithStringKey
{
    /// <summary>Entries after <paramref name="since"/> (at most <paramref name="limit"/>).</summary>
    Task<FeedPage<TerminalEntry>> GetHistoryAsync(long since = 0, int limit = 1000, CancellationToken cancellationToken = default);

    /// <summary>Entries after <paramref name="since"/>, then live ones as they arrive, until cancelled. A reader that
    /// falls behind the buffer gets a gap marker and goes on; on <c>EnumerationAbortedException</c> call again with the last seq seen.</summary>
    IAsyncEnumerable<TerminalEntry> FollowAsync(long since = 0, CancellationToken cancellationToken = default);

    /// <summary>The buffer's counters.</summary>
    Task<FeedInfo> GetInfoAsync(CancellationToken cancellationToken = default);
}
