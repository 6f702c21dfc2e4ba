using Shadow.Sidecar.Contracts.Watch;

namespace Shadow.Grains.Abstractions.Terminals;

/// <summary>
/// A task's file changes (keyed by the task id), the same way as <see cref="ITerminalGrain"/>: it follows the sidecar's
/// watcher from its last seq, keeps a bounded buffer in its state and serves any number of readers.
/// </summary>
[Alias("shadow.changes")]
public interface IChangeFeedGrain : IGrainWithStringKey
{
    /// <summary>Events after <paramref name="since"/> (at most <paramref name="limit"/>).</summary>
    Task<FeedPage<WatchEvent>> GetHistoryAsync(long since = 0, int limit = 1000, CancellationToken cancellationToken = default);

    /// <summary>Events after <paramref name="since"/>, then live ones, until cancelled.</summary>
    IAsyncEnumerable<WatchEvent> FollowAsync(long since = 0, CancellationToken cancellationToken = default);

    /// <summary>The buffer's counters.</summary>
    Task<FeedInfo> GetInfoAsync(CancellationToken cancellationToken = default);
}
