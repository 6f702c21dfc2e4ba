using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Shadow.Grains.Abstractions.Terminals;
using Shadow.Grains.Sidecar;
using Shadow.Grains.Workspaces;
using Shadow.Sidecar.Contracts.Watch;

namespace Shadow.Grains.Terminals;

/// <summary>A task's file changes: the sidecar's watcher, followed and kept (see <see cref="FeedGrain{T}"/>).</summary>
[Reentrant]
public sealed class ChangeFeedGrain(
    [PersistentState("changes", StorageNames.Default)] IPersistentState<FeedState<WatchEvent>> state,
    SidecarClientFactory clients,
    IOptions<FeedOptions> options,
    TimeProvider time,
    ILogger<ChangeFeedGrain> logger)
    : FeedGrain<WatchEvent>(state, clients, options.Value, time, logger), IChangeFeedGrain, IChangeFollowerGrain
{
    private readonly FeedOptions _options = options.Value;

    protected override int MaxEntries => _options.ChangesMaxEntries;

    protected override long MaxBytes => long.MaxValue;

    protected override long SeqOf(WatchEvent entry) => entry.Seq;

    protected override WatchEvent WithSeq(WatchEvent entry, long seq) => entry with { Seq = seq };

    protected override WatchEvent Gap(long seq, long dropped, DateTimeOffset now) => new(seq, WatchEventKind.Gap, $"[{dropped} events were dropped]", null, now);

    protected override long SizeOf(WatchEvent entry) => 1;

    protected override IAsyncEnumerable<WatchEvent> OpenAsync(SidecarClient client, long lastSeq, CancellationToken cancellationToken) =>
        client.WatchStreamAsync(lastEventId: lastSeq, cancellationToken: cancellationToken);

    Task IFeedFollower.AttachAsync(SidecarConnection connection, CancellationToken cancellationToken) => AttachCoreAsync(connection);

    Task<FeedPage<WatchEvent>> IChangeFeedGrain.GetHistoryAsync(long since, int limit, CancellationToken cancellationToken) =>
        GetHistoryCoreAsync(since, limit);

    IAsyncEnumerable<WatchEvent> IChangeFeedGrain.FollowAsync(long since, CancellationToken cancellationToken) =>
        FollowCoreAsync(since, cancellationToken);

    Task<FeedInfo> IChangeFeedGrain.GetInfoAsync(CancellationToken cancellationToken) => GetInfoCoreAsync();
}
