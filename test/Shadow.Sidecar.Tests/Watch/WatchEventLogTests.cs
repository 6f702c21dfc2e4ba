using Shadow.Sidecar.Contracts.Watch;
using Shadow.Sidecar.Watch;
using Shouldly;

namespace Shadow.Sidecar.Tests.Watch;

public sealed class WatchEventLogTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // A reader that waits for an event that never comes fails (cancelled) instead of hanging the run.
    private static CancellationTokenSource Deadline()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        return cts;
    }

    [Fact]
    public void Since_AfterEviction_ReportsGapAndKeepsNewest()
    {
        var log = new WatchEventLog(capacity: 16, subscriberQueueSize: 4, TimeProvider.System);
        for (var i = 0; i < 40; i++)
        {
            log.Append(WatchEventKind.Created, $"f{i}", null);
        }

        // Act
        var (events, lastSeq, gap) = log.Since(0, 100);
        var (recent, _, recentGap) = log.Since(30, 100);

        // Assert
        gap.ShouldBeTrue();
        lastSeq.ShouldBe(40);
        events.Select(e => e.Seq).ShouldBe(Enumerable.Range(25, 16).Select(i => (long)i));
        recentGap.ShouldBeFalse();
        recent.Select(e => e.Seq).ShouldBe(Enumerable.Range(31, 10).Select(i => (long)i));
        log.Since(99, 100).Gap.ShouldBeTrue("a seq from before a restart means: rescan");
    }

    [Fact]
    public async Task Subscribe_SlowReader_NeverBlocksWriterAndResumesFromBuffer()
    {
        var log = new WatchEventLog(capacity: 1000, subscriberQueueSize: 2, TimeProvider.System);
        log.Append(WatchEventKind.Created, "first", null);
        using var deadline = Deadline();
        await using var reader = log.SubscribeAsync(0, deadline.Token).GetAsyncEnumerator(deadline.Token);
        (await reader.MoveNextAsync()).ShouldBeTrue();
        reader.Current.Path.ShouldBe("first");

        // Act: 50 events while the reader sleeps (its queue holds 2).
        for (var i = 0; i < 50; i++)
        {
            log.Append(WatchEventKind.Modified, $"m{i}", null);
        }

        var received = new List<WatchEvent>();
        while (received.Count < 50 && await reader.MoveNextAsync())
        {
            received.Add(reader.Current);
        }

        // Assert: nothing lost, nothing twice, in order.
        received.Select(e => e.Seq).ShouldBe(Enumerable.Range(2, 50).Select(i => (long)i));
    }

    [Fact]
    public async Task Subscribe_WithoutLastEventId_FollowsLiveOnly()
    {
        var log = new WatchEventLog(capacity: 16, subscriberQueueSize: 4, TimeProvider.System);
        log.Append(WatchEventKind.Created, "old", null);
        using var deadline = Deadline();
        await using var reader = log.SubscribeAsync(null, deadline.Token).GetAsyncEnumerator(deadline.Token);
        // The subscription registers synchronously inside the first MoveNextAsync, before it waits.
        var next = reader.MoveNextAsync().AsTask();

        // Act
        log.Append(WatchEventKind.Created, "new", null);

        // Assert
        (await next).ShouldBeTrue();
        reader.Current.Path.ShouldBe("new");
    }

    [Fact]
    public async Task Subscribe_SlowReaderWhoseEventsWereEvicted_GetsGapMarkerThenResumes()
    {
        var log = new WatchEventLog(capacity: 16, subscriberQueueSize: 2, TimeProvider.System);
        log.Append(WatchEventKind.Created, "first", null);
        using var deadline = Deadline();
        await using var reader = log.SubscribeAsync(0, deadline.Token).GetAsyncEnumerator(deadline.Token);
        (await reader.MoveNextAsync()).ShouldBeTrue();

        // Act
        for (var i = 0; i < 40; i++)
        {
            log.Append(WatchEventKind.Modified, $"m{i}", null);
        }

        var received = new List<WatchEvent>();
        while (await reader.MoveNextAsync())
        {
            received.Add(reader.Current);
            if (reader.Current.Seq == 41)
            {
                break;
            }
        }

        // Assert
        var gap = received.Where(e => e.Kind == WatchEventKind.Gap).ShouldHaveSingleItem();
        gap.Seq.ShouldBe(25);
        received.Where(e => e.Kind != WatchEventKind.Gap && e.Seq > gap.Seq).Select(e => e.Seq).ShouldBe(Enumerable.Range(26, 16).Select(i => (long)i));
    }
}
