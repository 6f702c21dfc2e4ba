using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Watch;
using Shadow.Sidecar.Tests.Git;
using Shouldly;

namespace Shadow.Sidecar.Tests.Watch;

public sealed class WatchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Watch_CreateModifyDeleteRename_EachReported()
    {
        await using var w = await WatchTestSidecar.StartAsync("--Sidecar:Watch:DebounceMilliseconds=50");

        // Act / Assert: one step at a time, each awaited, so debouncing cannot merge them.
        w.Write("a.txt", "one");
        var created = await w.WaitForAsync(e => e is { Kind: WatchEventKind.Created, Path: "a.txt" }, "create of a.txt");
        var last = created.Max(e => e.Seq);

        File.AppendAllText(w.PathOf("a.txt"), " two");
        var modified = await w.WaitForAsync(e => e is { Kind: WatchEventKind.Modified, Path: "a.txt" }, "modify of a.txt", last);
        last = modified.Max(e => e.Seq);

        File.Move(w.PathOf("a.txt"), w.PathOf("b.txt"));
        var renamed = await w.WaitForAsync(e => e is { Kind: WatchEventKind.Renamed, Path: "b.txt", OldPath: "a.txt" }, "rename a.txt -> b.txt", last);
        last = renamed.Max(e => e.Seq);

        File.Delete(w.PathOf("b.txt"));
        await w.WaitForAsync(e => e is { Kind: WatchEventKind.Deleted, Path: "b.txt" }, "delete of b.txt", last);

        Directory.CreateDirectory(w.PathOf("sub/dir"));
        w.Write("sub/dir/c.txt", "c");
        await w.WaitForAsync(e => e is { Kind: WatchEventKind.Created, Path: "sub/dir/c.txt" }, "create of a nested file");

        var all = (await w.EventsAsync()).Events;
        all.Select(e => e.Seq).ShouldBe(all.Select(e => e.Seq).Order(), "seq increases");
        all.Select(e => e.Seq).Distinct().Count().ShouldBe(all.Count);
    }

    [Fact]
    public async Task Watch_WriteThroughFilesApi_ReportsTargetOnlyNeverTempFile()
    {
        await using var w = await WatchTestSidecar.StartAsync("--Sidecar:Watch:DebounceMilliseconds=30");

        // Act: an atomic write goes through a .shadow-tmp-* file renamed over the target.
        using var body = new StringContent("""{"path":"notes/a.md","content":"hello"}""", System.Text.Encoding.UTF8, "application/json");
        using var response = await w.Http.PostAsync(SidecarRoutes.Files.Write, body, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        await w.WaitForAsync(e => e.Path == "notes/a.md", "the written file");
        w.Write("sentinel.txt", "after");
        await w.WaitForAsync(e => e.Path == "sentinel.txt", "the sentinel written after");

        // Assert
        var all = (await w.EventsAsync()).Events;
        all.ShouldNotContain(e => e.Path.Contains(".shadow-tmp-", StringComparison.Ordinal) || (e.OldPath ?? "").Contains(".shadow-tmp-", StringComparison.Ordinal));
        all.Where(e => e.Path == "notes/a.md").ShouldHaveSingleItem().Kind.ShouldBe(WatchEventKind.Created);
    }

    [Fact]
    public async Task Watch_GitAndIgnoredFolders_NotReported()
    {
        await using var w = await WatchTestSidecar.StartAsync("--Sidecar:Watch:DebounceMilliseconds=30",
            "--Sidecar:Watch:IgnoredFolders:0=node_modules", "--Sidecar:Watch:IgnoredFolders:1=generated");
        Directory.CreateDirectory(w.PathOf(".git"));
        Directory.CreateDirectory(w.PathOf("node_modules/pkg"));
        Directory.CreateDirectory(w.PathOf("src/generated"));
        w.Write("visible-1.txt", "sync point");
        await w.WaitForAsync(e => e.Path == "visible-1.txt", "first sentinel");

        // Act
        w.Write(".git/HEAD", "ref: refs/heads/main");
        w.Write("node_modules/pkg/index.js", "x");
        w.Write("src/generated/out.cs", "x");
        w.Write("bin-not-ignored/x.txt", "x");
        File.Move(w.PathOf("node_modules/pkg/index.js"), w.PathOf("moved-out.js"));
        w.Write("visible-2.txt", "sync point");
        var events = await w.WaitForAsync(e => e.Path == "visible-2.txt", "second sentinel");

        // Assert
        events.ShouldNotContain(e => e.Path.StartsWith(".git", StringComparison.Ordinal) || e.Path.Contains("node_modules", StringComparison.Ordinal) || e.Path.Contains("generated", StringComparison.Ordinal));
        events.ShouldContain(e => e.Path == "bin-not-ignored/x.txt", "configured folders replace the defaults");
        events.ShouldContain(e => e.Path == "moved-out.js" && e.Kind == WatchEventKind.Created, "a move out of an ignored folder is a create");
        var status = await w.StatusAsync();
        status.IgnoredFolders.ShouldBe([".git", "node_modules", "generated"]);
        status.Watching.ShouldBeTrue();
    }

    [Fact]
    public async Task Watch_BurstOnOnePath_CollapsesToOneCreate()
    {
        await using var w = await WatchTestSidecar.StartAsync("--Sidecar:Watch:DebounceMilliseconds=300");

        // Act
        using (var stream = new FileStream(w.PathOf("burst.txt"), FileMode.Create, FileAccess.Write, FileShare.ReadWrite))
        {
            for (var i = 0; i < 20; i++)
            {
                stream.Write("more data\n"u8);
                stream.Flush();
            }
        }

        w.Write("after.txt", "sentinel");
        var events = await w.WaitForAsync(e => e.Path == "after.txt", "the sentinel after the burst");

        // Assert
        events.Where(e => e.Path == "burst.txt").ShouldHaveSingleItem().Kind.ShouldBe(WatchEventKind.Created);
    }

    [Fact]
    public async Task Watch_Paused_RecordsNothingUntilResumed()
    {
        await using var w = await WatchTestSidecar.StartAsync("--Sidecar:Watch:DebounceMilliseconds=30");
        w.Write("before.txt", "x");
        var before = await w.WaitForAsync(e => e.Path == "before.txt", "the event before pausing");

        // Act
        var paused = await w.PostAsync(SidecarRoutes.Watch.Pause);
        w.Write("during.txt", "x");
        File.Delete(w.PathOf("before.txt"));
        await Task.Delay(200, Ct); // let any (wrong) event for the writes above surface before resuming
        var resumed = await w.PostAsync(SidecarRoutes.Watch.Resume);
        w.Write("after.txt", "x");
        var events = await w.WaitForAsync(e => e.Path == "after.txt", "the event after resuming");

        // Assert
        paused.Paused.ShouldBeTrue();
        paused.Watching.ShouldBeFalse();
        resumed.Paused.ShouldBeFalse();
        resumed.Watching.ShouldBeTrue();
        events.ShouldNotContain(e => e.Path == "during.txt");
        events.ShouldNotContain(e => e.Path == "before.txt" && e.Kind == WatchEventKind.Deleted);
        (await w.EventsAsync(before.Max(e => e.Seq))).Events.ShouldHaveSingleItem().Path.ShouldBe("after.txt");
    }

    [Fact]
    public async Task Watch_StreamWithLastEventId_ReplaysThenFollowsLive()
    {
        await using var w = await WatchTestSidecar.StartAsync("--Sidecar:Watch:DebounceMilliseconds=20");
        foreach (var name in new[] { "one.txt", "two.txt", "three.txt" })
        {
            w.Write(name, name);
            await w.WaitForAsync(e => e.Path == name, name);
        }

        var firstSeq = (await w.EventsAsync()).Events.First(e => e.Path == "one.txt").Seq;
        using var request = new HttpRequestMessage(HttpMethod.Get, SidecarRoutes.Watch.Stream);
        request.Headers.Add("Last-Event-ID", firstSeq.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));

        // Act
        using var response = await w.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        var body = await response.Content.ReadAsStreamAsync(timeout.Token);
        var seen = new List<SseItem<WatchEvent>>();
        var wroteLive = false;
        await foreach (var item in SseParser.Create(body, (_, data) => JsonSerializer.Deserialize<WatchEvent>(data, SidecarJson.Options)!).EnumerateAsync(timeout.Token))
        {
            seen.Add(item);
            if (item.Data.Path == "three.txt" && !wroteLive)
            {
                wroteLive = true;
                w.Write("live.txt", "live");
            }

            if (item.Data.Path == "live.txt")
            {
                break;
            }
        }

        // Assert
        seen.Where(i => i.Data.Kind == WatchEventKind.Created).Select(i => i.Data.Path).ShouldBe(["two.txt", "three.txt", "live.txt"]);
        seen.ShouldNotContain(i => i.Data.Path == "one.txt", "one.txt is at or before Last-Event-ID");
        seen.ShouldAllBe(i => i.EventId == i.Data.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture));
        seen[0].EventType.ShouldBe("created");
    }

    [Fact]
    public async Task Watch_BadParameters_Answer400()
    {
        await using var w = await WatchTestSidecar.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, SidecarRoutes.Watch.Stream);
        request.Headers.Add("Last-Event-ID", "not-a-number");

        // Act
        using var badHeader = await w.Http.SendAsync(request, Ct);
        using var badSince = await w.Http.GetAsync(SidecarRoutes.Watch.Events + "?since=-1", Ct);
        using var badLimit = await w.Http.GetAsync(SidecarRoutes.Watch.Events + "?limit=0", Ct);

        // Assert
        (await GitTestWorkspace.ReadProblemAsync(badHeader, HttpStatusCode.BadRequest)).Detail.ShouldContain("Last-Event-ID");
        (await GitTestWorkspace.ReadProblemAsync(badSince, HttpStatusCode.BadRequest)).Detail.ShouldContain("since");
        (await GitTestWorkspace.ReadProblemAsync(badLimit, HttpStatusCode.BadRequest)).Detail.ShouldContain("limit");
    }

    [Fact]
    public async Task Watch_SymlinkedFolderToOutside_NotFollowed()
    {
        await using var w = await WatchTestSidecar.StartAsync("--Sidecar:Watch:DebounceMilliseconds=30");
        var outside = w.Dir.CreateSubdirectory("outside");
        Directory.CreateSymbolicLink(w.PathOf("link"), outside);
        await w.WaitForAsync(e => e.Path == "link", "the link's creation");

        // Act
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "outside");
        w.Write("sentinel.txt", "x");
        var events = await w.WaitForAsync(e => e.Path == "sentinel.txt", "the sentinel");

        // Assert
        events.ShouldNotContain(e => e.Path.StartsWith("link/", StringComparison.Ordinal));
    }
}
