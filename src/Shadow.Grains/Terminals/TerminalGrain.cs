using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Shadow.Grains.Abstractions.Terminals;
using Shadow.Grains.Sidecar;
using Shadow.Grains.Workspaces;
using Shadow.Sidecar.Contracts.Terminal;

namespace Shadow.Grains.Terminals;

/// <summary>A task's terminal: the sidecar's terminal buffer, followed and kept (see <see cref="FeedGrain{T}"/>).</summary>
[Reentrant]
public sealed class TerminalGrain(
    [PersistentState("terminal", StorageNames.Default)] IPersistentState<FeedState<TerminalEntry>> state,
    SidecarClientFactory clients,
    IOptions<FeedOptions> options,
    TimeProvider time,
    ILogger<TerminalGrain> logger)
    : FeedGrain<TerminalEntry>(state, clients, options.Value, time, logger), ITerminalGrain, ITerminalFollowerGrain
{
    private readonly FeedOptions _options = options.Value;

    protected override int MaxEntries => _options.TerminalMaxEntries;

    protected override long MaxBytes => _options.TerminalMaxBytes;

    protected override long SeqOf(TerminalEntry entry) => entry.Seq;

    protected override TerminalEntry WithSeq(TerminalEntry entry, long seq) => entry with { Seq = seq };

    protected override TerminalEntry Gap(long seq, long dropped, DateTimeOffset now) =>
        new(seq, now, null, TerminalStream.Gap, $"[{dropped} terminal entries were dropped]", dropped);

    protected override long SizeOf(TerminalEntry entry) => 64 + (entry.Text.Length * 2L);

    protected override IAsyncEnumerable<TerminalEntry> OpenAsync(SidecarClient client, long lastSeq, CancellationToken cancellationToken) =>
        client.StreamTerminalAsync(lastEventId: lastSeq, cancellationToken: cancellationToken);

    Task IFeedFollower.AttachAsync(SidecarConnection connection, CancellationToken cancellationToken) => AttachCoreAsync(connection);

    Task<FeedPage<TerminalEntry>> ITerminalGrain.GetHistoryAsync(long since, int limit, CancellationToken cancellationToken) =>
        GetHistoryCoreAsync(since, limit);

    IAsyncEnumerable<TerminalEntry> ITerminalGrain.FollowAsync(long since, CancellationToken cancellationToken) =>
        FollowCoreAsync(since, cancellationToken);

    Task<FeedInfo> ITerminalGrain.GetInfoAsync(CancellationToken cancellationToken) => GetInfoCoreAsync();
}
