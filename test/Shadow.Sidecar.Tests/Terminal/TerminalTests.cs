using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Exec;
using Shadow.Sidecar.Contracts.Terminal;
using Shadow.Testing;
using Shouldly;
using static Shadow.Sidecar.Tests.Exec.ExecTestKit;

namespace Shadow.Sidecar.Tests.Terminal;

public sealed class TerminalTests(SidecarFixture fixture) : IClassFixture<SidecarFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Http => fixture.Http;

    [Fact]
    public async Task History_AfterCommand_HasStartedOutputAndExitEntries()
    {
        var before = (await StatsAsync(Http, Ct)).LastSeq;

        // Act
        var result = await ExecAsync(Http, new ExecRequest("echo one; echo two >&2; exit 5"), Ct);
        var history = await HistoryAsync(Http, before, Ct);

        // Assert
        var mine = history.Entries.Where(e => e.CommandId == result.CommandId).ToList();
        mine[0].Stream.ShouldBe(TerminalStream.System);
        mine[0].Text.ShouldBe("$ echo one; echo two >&2; exit 5");
        mine[^1].Stream.ShouldBe(TerminalStream.System);
        mine[^1].Text.ShouldStartWith("[exit 5 after ");
        string.Concat(mine.Where(e => e.Stream == TerminalStream.Stdout).Select(e => e.Text)).ShouldBe("one\n");
        string.Concat(mine.Where(e => e.Stream == TerminalStream.Stderr).Select(e => e.Text)).ShouldBe("two\n");
        history.Entries.ShouldAllBe(e => e.Seq > before);
        history.Entries.Select(e => e.Seq).ShouldBeInOrder(SortDirection.Ascending);
        history.Entries.Select(e => e.Seq).Distinct().Count().ShouldBe(history.Entries.Count);
    }

    [Fact]
    public async Task History_Since_ReturnsOnlyNewerEntriesAndPages()
    {
        await ExecAsync(Http, new ExecRequest("echo a"), Ct);
        var middle = (await StatsAsync(Http, Ct)).LastSeq;
        await ExecAsync(Http, new ExecRequest("echo b"), Ct);
        await ExecAsync(Http, new ExecRequest("echo c"), Ct);

        // Act
        var all = await HistoryAsync(Http, middle, Ct);
        var firstPage = await HistoryAsync(Http, middle, Ct, limit: 2);
        var secondPage = await HistoryAsync(Http, firstPage.NextSince, Ct, limit: 10_000);

        // Assert
        all.Entries.ShouldAllBe(e => e.Seq > middle);
        all.Entries.ShouldNotContain(e => e.Text == "a\n");
        all.Entries.ShouldContain(e => e.Text == "b\n");
        firstPage.Entries.Count.ShouldBe(2);
        firstPage.HasMore.ShouldBeTrue();
        firstPage.Entries.Concat(secondPage.Entries).Select(e => e.Seq).ShouldBe(all.Entries.Select(e => e.Seq));
    }

    [Fact]
    public async Task Stats_AfterCommand_CountsAndSeqGrow()
    {
        var before = await StatsAsync(Http, Ct);

        // Act
        await ExecAsync(Http, new ExecRequest("echo stats"), Ct);
        var after = await StatsAsync(Http, Ct);

        // Assert
        after.LastSeq.ShouldBeGreaterThanOrEqualTo(before.LastSeq + 3);
        after.Count.ShouldBeGreaterThanOrEqualTo(3);
        after.Bytes.ShouldBeGreaterThan(before.Bytes);
        after.MaxEntries.ShouldBe(10_000);
        after.MaxBytes.ShouldBe(50L * 1024 * 1024);
        after.FirstSeq.ShouldBeLessThanOrEqualTo(after.LastSeq);
    }

    [Fact]
    public async Task Clear_EmptiesBuffer_SeqContinues()
    {
        await ExecAsync(Http, new ExecRequest("echo before-clear"), Ct);
        var before = await StatsAsync(Http, Ct);

        // Act
        using var response = await Http.PostAsync(SidecarRoutes.Terminal.Clear, null, Ct);
        var cleared = (await response.Content.ReadFromJsonAsync(TerminalJsonContext.Default.TerminalClearResponse, Ct))!;
        var empty = await StatsAsync(Http, Ct);
        await ExecAsync(Http, new ExecRequest("echo after-clear"), Ct);
        var history = await HistoryAsync(Http, before.LastSeq, Ct);

        // Assert
        cleared.Cleared.ShouldBeGreaterThanOrEqualTo(3);
        cleared.LastSeq.ShouldBeGreaterThanOrEqualTo(before.LastSeq);
        empty.Count.ShouldBe(0);
        empty.Bytes.ShouldBe(0);
        history.Entries.ShouldNotContain(e => e.Text == "before-clear\n");
        history.Entries.ShouldContain(e => e.Text == "after-clear\n");
        history.Entries.ShouldAllBe(e => e.Seq > cleared.LastSeq);
    }

    [Fact]
    public async Task Stream_LastEventId_ReplaysAfterItThenFollowsLive()
    {
        await ExecAsync(Http, new ExecRequest("echo r1; echo r2 >&2"), Ct);
        var marker = (await StatsAsync(Http, Ct)).LastSeq;
        var replayed = await ExecAsync(Http, new ExecRequest("echo r3"), Ct);
        var lastBeforeOpen = (await StatsAsync(Http, Ct)).LastSeq;
        using var request = new HttpRequestMessage(HttpMethod.Get, SidecarRoutes.Terminal.Stream);
        request.Headers.Add("Last-Event-ID", marker.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var streamClient = fixture.Sidecar.CreateHttpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));

        // Act
        using var response = await OpenSseAsync(streamClient, request, timeout.Token);
        var seen = new List<TerminalEntry>();
        string? liveId = null;
        await foreach (var item in ReadSseAsync(response, timeout.Token))
        {
            var entry = Entry(item);
            item.EventId.ShouldBe(entry.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture));
            seen.Add(entry);
            if (entry.Seq == lastBeforeOpen)
            {
                liveId = (await ExecAsync(Http, new ExecRequest("echo live"), Ct)).CommandId;
            }

            if (liveId is not null && entry.CommandId == liveId && entry.Stream == TerminalStream.System && entry.Text.StartsWith('['))
            {
                break;
            }
        }

        // Assert
        seen[0].Seq.ShouldBe(marker + 1);
        seen.Select(e => e.Seq).ShouldBeInOrder(SortDirection.Ascending);
        seen.ShouldContain(e => e.CommandId == replayed.CommandId && e.Text == "r3\n");
        seen.ShouldNotContain(e => e.Text == "r1\n");
        seen.ShouldContain(e => e.CommandId == liveId && e.Text == "live\n");
    }

    [Fact]
    public async Task Stream_SinceQuery_ReplaysAfterIt()
    {
        var marker = (await StatsAsync(Http, Ct)).LastSeq;
        var result = await ExecAsync(Http, new ExecRequest("echo via-since"), Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        using var streamClient = fixture.Sidecar.CreateHttpClient();

        // Act
        using var response = await OpenSseAsync(streamClient, new HttpRequestMessage(HttpMethod.Get, $"{SidecarRoutes.Terminal.Stream}?since={marker}"), timeout.Token);
        var first = new List<TerminalEntry>();
        await foreach (var item in ReadSseAsync(response, timeout.Token))
        {
            first.Add(Entry(item));
            if (first.Count == 3)
            {
                break;
            }
        }

        // Assert
        first[0].Seq.ShouldBe(marker + 1);
        first.ShouldContain(e => e.CommandId == result.CommandId && e.Text == "via-since\n");
    }

    [Fact]
    public async Task Replay_TenThousandEntries_IsFast()
    {
        // Fill the buffer (10,000 entries by default): each echo is its own write, most become their own entry.
        var stats = await StatsAsync(Http, Ct);
        for (var round = 0; round < 40 && stats.Count < 10_000; round++)
        {
            await ExecAsync(Http, new ExecRequest("for i in $(seq 1 5000); do echo $i; done"), Ct);
            stats = await StatsAsync(Http, Ct);
        }
        var since = Math.Max(stats.FirstSeq - 1, stats.LastSeq - 10_000);

        // Act
        var watch = Stopwatch.StartNew();
        var history = await HistoryAsync(Http, since, Ct);
        var elapsed = watch.Elapsed;

        // Assert
        history.Entries.Count.ShouldBe((int)(stats.LastSeq - since));
        elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(2), "replaying the whole buffer over HTTP");
    }

    [Theory]
    [InlineData("?since=-1")]
    [InlineData("?since=abc")]
    [InlineData("?limit=0")]
    [InlineData("?limit=10001")]
    public async Task History_BadQuery_Answers400(string query)
    {
        // Act
        using var response = await Http.GetAsync(SidecarRoutes.Terminal.History + query, Ct);

        // Assert
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Theory]
    [InlineData("abc", null)]
    [InlineData("-5", null)]
    [InlineData(null, "-1")]
    public async Task Stream_BadCursor_Answers400(string? lastEventId, string? since)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, SidecarRoutes.Terminal.Stream + (since is null ? string.Empty : $"?since={since}"));
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        // Act
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);

        // Assert
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }
}

/// <summary>Tests with their own sidecar: a small buffer, restarts.</summary>
public sealed class TerminalBufferLifecycleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SmallBuffer_Overflow_EvictsOldestWithGapMarkerCount()
    {
        using var root = new TempDirectory("shadow-term");
        await using var sidecar = await SidecarProcess.StartAsync(root.CreateSubdirectory("ws"), root.Combine("state"), null, Ct,
            "--Sidecar:Terminal:MaxEntries=10");
        using var http = sidecar.CreateHttpClient();

        // Act: 6 commands of at least 3 entries each.
        for (var i = 0; i < 6; i++)
        {
            await ExecAsync(http, new ExecRequest($"echo n{i}"), Ct);
        }

        var stats = await StatsAsync(http, Ct);
        var history = await HistoryAsync(http, 0, Ct);

        // Assert
        stats.Count.ShouldBe(10);
        stats.LastSeq.ShouldBeGreaterThanOrEqualTo(18);
        stats.FirstSeq.ShouldBe(stats.LastSeq - 9);
        stats.DroppedTotal.ShouldBe(stats.LastSeq - 10);
        var gap = history.Entries[0];
        gap.Stream.ShouldBe(TerminalStream.Gap);
        gap.Dropped.ShouldBe(stats.FirstSeq - 1);
        gap.Seq.ShouldBe(stats.FirstSeq - 1);
        history.Entries.Skip(1).Select(e => e.Seq).ShouldBe(Enumerable.Range((int)stats.FirstSeq, 10).Select(s => (long)s));
        history.Entries.ShouldContain(e => e.Text == "n5\n");
        history.Entries.ShouldNotContain(e => e.Text == "n0\n");

        // A cursor inside the kept range has no gap; one just before it loses exactly the evicted ones.
        var inside = await HistoryAsync(http, stats.FirstSeq, Ct);
        inside.Entries.ShouldAllBe(e => e.Stream != TerminalStream.Gap);
        var partial = await HistoryAsync(http, stats.FirstSeq - 3, Ct);
        partial.Entries[0].Dropped.ShouldBe(2);
    }

    [Fact]
    public async Task SmallBuffer_StreamFromEvictedLastEventId_StartsWithGap()
    {
        using var root = new TempDirectory("shadow-term");
        await using var sidecar = await SidecarProcess.StartAsync(root.CreateSubdirectory("ws"), root.Combine("state"), null, Ct,
            "--Sidecar:Terminal:MaxEntries=10");
        using var http = sidecar.CreateHttpClient();
        for (var i = 0; i < 6; i++)
        {
            await ExecAsync(http, new ExecRequest($"echo n{i}"), Ct);
        }

        var stats = await StatsAsync(http, Ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, SidecarRoutes.Terminal.Stream);
        request.Headers.Add("Last-Event-ID", "2");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));

        // Act
        using var response = await OpenSseAsync(http, request, timeout.Token);
        var entries = new List<TerminalEntry>();
        await foreach (var item in ReadSseAsync(response, timeout.Token))
        {
            item.EventType.ShouldBe(entries.Count == 0 ? "gap" : Entry(item).Stream.ToString().ToLowerInvariant());
            entries.Add(Entry(item));
            if (entries[^1].Seq == stats.LastSeq)
            {
                break;
            }
        }

        // Assert
        entries[0].Stream.ShouldBe(TerminalStream.Gap);
        entries[0].Dropped.ShouldBe(stats.FirstSeq - 1 - 2);
        entries.Skip(1).Select(e => e.Seq).ShouldBe(Enumerable.Range((int)stats.FirstSeq, 10).Select(s => (long)s));
    }

    [Fact]
    public async Task Restart_AfterSigkill_HistorySurvivesAndSeqContinues()
    {
        using var root = new TempDirectory("shadow-term");
        await using var sidecar = await SidecarProcess.StartAsync(root.CreateSubdirectory("ws"), root.Combine("state"), null, Ct);
        using (var http = sidecar.CreateHttpClient())
        {
            await ExecAsync(http, new ExecRequest("echo before-crash; echo err-before >&2"), Ct);
            await ExecAsync(http, new ExecRequest("for i in $(seq 1 200); do echo line-$i; done"), Ct);
        }

        using var http1 = sidecar.CreateHttpClient();
        var before = await HistoryAsync(http1, 0, Ct);
        var statsBefore = await StatsAsync(http1, Ct);

        // Act: SIGKILL, no chance to flush on the way out.
        await sidecar.RestartAsync(graceful: false, Ct);
        using var http2 = sidecar.CreateHttpClient();
        var after = await HistoryAsync(http2, 0, Ct);
        var next = await ExecAsync(http2, new ExecRequest("echo after-restart"), Ct);
        var newest = await HistoryAsync(http2, statsBefore.LastSeq, Ct);

        // Assert
        after.Entries.Select(e => (e.Seq, e.Stream, e.CommandId, e.Text)).ShouldBe(before.Entries.Select(e => (e.Seq, e.Stream, e.CommandId, e.Text)));
        after.Entries.ShouldContain(e => e.Text == "before-crash\n");
        newest.Entries.ShouldNotBeEmpty();
        newest.Entries.ShouldAllBe(e => e.Seq > statsBefore.LastSeq);
        newest.Entries.ShouldContain(e => e.CommandId == next.CommandId && e.Text == "after-restart\n");
    }

    [Fact]
    public async Task Restart_AfterClear_SeqStillContinues()
    {
        using var root = new TempDirectory("shadow-term");
        await using var sidecar = await SidecarProcess.StartAsync(root.CreateSubdirectory("ws"), root.Combine("state"), null, Ct);
        using var http = sidecar.CreateHttpClient();
        await ExecAsync(http, new ExecRequest("echo x"), Ct);
        using (var clear = await http.PostAsync(SidecarRoutes.Terminal.Clear, null, Ct))
        {
            clear.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var lastSeq = (await StatsAsync(http, Ct)).LastSeq;

        // Act
        await sidecar.RestartAsync(graceful: true, Ct);
        using var http2 = sidecar.CreateHttpClient();
        var stats = await StatsAsync(http2, Ct);

        // Assert
        stats.Count.ShouldBe(0);
        stats.LastSeq.ShouldBe(lastSeq);
    }

    [Fact]
    public async Task SmallBuffer_ManyRestarts_StateFolderStaysBounded()
    {
        using var root = new TempDirectory("shadow-term");
        var state = root.Combine("state");
        await using var sidecar = await SidecarProcess.StartAsync(root.CreateSubdirectory("ws"), state, null, Ct, "--Sidecar:Terminal:MaxEntries=10");
        for (var round = 0; round < 3; round++)
        {
            using var http = sidecar.CreateHttpClient();
            await ExecAsync(http, new ExecRequest("for i in $(seq 1 300); do echo round-line-$i; done"), Ct);
            await sidecar.RestartAsync(graceful: round % 2 == 0, Ct);
        }

        using var last = sidecar.CreateHttpClient();

        // Act
        var stats = await StatsAsync(last, Ct);
        var segments = Directory.GetFiles(Path.Combine(state, "terminal"));

        // Assert
        stats.Count.ShouldBeLessThanOrEqualTo(10);
        segments.Length.ShouldBeLessThanOrEqualTo(4, string.Join(", ", segments.Select(Path.GetFileName)));
    }
}
