using System.Runtime.CompilerServices;
using Shadow.Grains.Abstractions.Terminals;
using Shadow.Sidecar.Contracts.Watch;

namespace Shadow.Gateway.Tests.Fakes;

/// <summary>Two seeded changes (seq 1-2), then nothing until the reader goes away.</summary>
public sealed class FakeChangeFeedGrain : Grain, IChangeFeedGrain
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly WatchEvent[] _events =
    [
        new(1, WatchEventKind.Created, "a.txt", null, Epoch),
        new(2, WatchEventKind.Modified, "a.txt", null, Epoch),
    ];

    public Task<FeedPage<WatchEvent>> GetHistoryAsync(long since = 0, int limit = 1000, CancellationToken cancellationToken = default) =>
        Task.FromResult(new FeedPage<WatchEvent>([.. _events.Where(e => e.Seq > since).Take(limit)], 2, false));

    public async IAsyncEnumerable<WatchEvent> FollowAsync(long since = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var e in _events.Where(e => e.Seq > since))
        {
            yield return e;
        }

        await Task.Delay(Timeout.Infinite, cancellationToken);
    }

    public Task<FeedInfo> GetInfoAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new FeedInfo(this.GetPrimaryKeyString(), 2, 1, 2, 0, false));
}
