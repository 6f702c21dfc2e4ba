using System.Runtime.CompilerServices;
using Orleans.Runtime;
using Shadow.Grains.Abstractions.Terminals;
using Shadow.Sidecar.Contracts.Terminal;

namespace Shadow.Gateway.Tests.Fakes;

/// <summary>
/// Five seeded entries (seq 1-5). The first follow of each activation breaks off with <see cref="EnumerationAbortedException"/>
/// after two entries, as a deactivation would, so the gateway's resume is exercised on every stream test.
/// </summary>
public sealed class FakeTerminalGrain : Grain, ITerminalGrain
{
    public const int Seeded = 5;
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly TerminalEntry[] _entries =
        [.. Enumerable.Range(1, Seeded).Select(i => new TerminalEntry(i, Epoch, "c1", TerminalStream.Stdout, $"line {i}\n"))];

    private bool _aborted;

    public Task<FeedPage<TerminalEntry>> GetHistoryAsync(long since = 0, int limit = 1000, CancellationToken cancellationToken = default)
    {
        var after = _entries.Where(e => e.Seq > since).ToArray();
        return Task.FromResult(new FeedPage<TerminalEntry>([.. after.Take(limit)], Seeded, after.Length > limit));
    }

    public async IAsyncEnumerable<TerminalEntry> FollowAsync(long since = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var sent = 0;
        foreach (var entry in _entries.Where(e => e.Seq > since))
        {
            if (!_aborted && sent == 2)
            {
                _aborted = true;
                throw new EnumerationAbortedException("The fake terminal broke off.");
            }

            sent++;
            yield return entry;
        }

        // Live: nothing more ever comes; wait until the reader goes away.
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }

    public Task<FeedInfo> GetInfoAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new FeedInfo(this.GetPrimaryKeyString(), Seeded, 1, Seeded, 0, false));
}
