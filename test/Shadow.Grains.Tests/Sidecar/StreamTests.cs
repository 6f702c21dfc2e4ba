using System.Net;
using System.Net.ServerSentEvents;
using Shadow.Grains.Sidecar;
using Shouldly;

namespace Shadow.Grains.Tests.Sidecar;

/// <summary>
/// SSE through <c>SidecarClient.StreamAsync</c>. The sidecar's own streams (terminal, watch, exec) are being built in
/// parallel, so these run against <see cref="ScriptedServer"/>, a protocol fixture that can also cut a stream mid-way.
/// </summary>
public sealed class StreamTests : IAsyncLifetime
{
    private const string Path = "/stream";
    private ScriptedServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await ScriptedServer.StartAsync(Ct);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private static async Task<List<SseItem<TestEvent>>> CollectAsync(IAsyncEnumerable<SseItem<TestEvent>> stream, List<SseItem<TestEvent>>? into = null)
    {
        into ??= [];
        await foreach (var item in stream)
        {
            into.Add(item);
        }

        return into;
    }

    private static Func<HttpRequestMessage> Get() => () => new HttpRequestMessage(HttpMethod.Get, Path);

    [Fact]
    public async Task StreamAsync_Events_YieldsTypedItemsWithIdsAndTypes()
    {
        _server.On(Path, ScriptedServer.Events(4));
        using var harness = new ClientHarness();
        var client = harness.Client(_server.Endpoint);

        // Act
        var items = await CollectAsync(client.StreamAsync(Get(), TestJsonContext.Default.TestEvent, null, Ct));

        // Assert
        items.Select(i => i.Data.N).ShouldBe([1, 2, 3, 4]);
        items.Select(i => i.EventId).ShouldBe(["1", "2", "3", "4"]);
        items.Select(i => i.EventType).ShouldBe(["odd", "even", "odd", "even"]);
        items[2].Data.Text.ShouldBe("line 3");
        var request = _server.Requests.ShouldHaveSingleItem();
        request.Authorization.ShouldBe($"Bearer {_server.Token}");
        request.LastEventId.ShouldBeEmpty();
    }

    [Fact]
    public async Task StreamAsync_StreamOutlivesAttemptTimeout_KeepsDelivering()
    {
        // Events further apart than the attempt timeout, with room for a slow open on a loaded machine.
        _server.On(Path, ScriptedServer.Events(4, delayMilliseconds: 700));
        var options = ClientHarness.Fast();
        options.AttemptTimeout = TimeSpan.FromMilliseconds(500);
        using var harness = new ClientHarness(options);
        var client = harness.Client(_server.Endpoint);

        // Act
        var items = await CollectAsync(client.StreamAsync(Get(), TestJsonContext.Default.TestEvent, null, Ct));

        // Assert
        items.Select(i => i.Data.N).ShouldBe([1, 2, 3, 4], "the attempt timeout bounds the open, not the life of the stream");
        _server.CountOf(Path).ShouldBe(1);
    }

    [Fact]
    public async Task StreamAsync_CallerCancels_EnumerationStops()
    {
        _server.On(Path, ScriptedServer.Events(1000, delayMilliseconds: 20));
        using var harness = new ClientHarness();
        var client = harness.Client(_server.Endpoint);
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var items = new List<SseItem<TestEvent>>();

        // Act
        var error = await Should.ThrowAsync<OperationCanceledException>(async () =>
        {
            await foreach (var item in client.StreamAsync(Get(), TestJsonContext.Default.TestEvent, null, resumeOnBreak: true, caller.Token))
            {
                items.Add(item);
                if (items.Count == 3)
                {
                    await caller.CancelAsync();
                }
            }
        });

        // Assert
        error.ShouldNotBeNull();
        items.Count.ShouldBe(3);
        _server.CountOf(Path).ShouldBe(1, "a cancelled stream is not resumed");
    }

    [Fact]
    public async Task StreamAsync_LastEventId_SentAsHeaderAndReplayStartsAfterIt()
    {
        _server.On(Path, ScriptedServer.Events(5));
        using var harness = new ClientHarness();
        var client = harness.Client(_server.Endpoint);

        // Act
        var items = await CollectAsync(client.StreamAsync(Get(), TestJsonContext.Default.TestEvent, "3", Ct));

        // Assert
        items.Select(i => i.Data.N).ShouldBe([4, 5]);
        _server.Requests.ShouldHaveSingleItem().LastEventId.ShouldBe("3");
    }

    [Fact]
    public async Task StreamAsync_BrokenWithoutResume_ThrowsAfterTheItemsItDelivered()
    {
        _server.On(Path, ScriptedServer.Events(5, abortAfter: 2));
        using var harness = new ClientHarness();
        var client = harness.Client(_server.Endpoint);
        var items = new List<SseItem<TestEvent>>();

        // Act
        var error = await Should.ThrowAsync<Exception>(() => CollectAsync(client.StreamAsync(Get(), TestJsonContext.Default.TestEvent, null, Ct), items));

        // Assert
        (error is IOException or HttpRequestException).ShouldBeTrue($"a broken stream surfaces as a transport error, not {error.GetType()}");
        items.Select(i => i.Data.N).ShouldBe([1, 2]);
        _server.CountOf(Path).ShouldBe(1);
    }

    [Fact]
    public async Task StreamAsync_BrokenWithResume_ReopensFromLastIdAndDeliversEverythingOnce()
    {
        _server.On(Path, ScriptedServer.Events(6, abortAfter: 2), ScriptedServer.Events(6, abortAfter: 2), ScriptedServer.Events(6));
        using var harness = new ClientHarness();
        var client = harness.Client(_server.Endpoint);

        // Act
        var items = await CollectAsync(client.StreamAsync(Get(), TestJsonContext.Default.TestEvent, null, resumeOnBreak: true, Ct));

        // Assert
        items.Select(i => i.Data.N).ShouldBe([1, 2, 3, 4, 5, 6]);
        _server.Requests.Select(r => r.LastEventId).ShouldBe(["", "2", "4"]);
    }

    [Fact]
    public async Task StreamAsync_ResumeButBreaksWithoutProgress_GivesUpAfterMaxRetryAttempts()
    {
        _server.On(Path, ScriptedServer.Events(5, abortAfter: 0));
        var options = ClientHarness.Fast();
        options.MaxRetryAttempts = 2;
        using var harness = new ClientHarness(options);
        var client = harness.Client(_server.Endpoint);

        // Act
        var error = await Should.ThrowAsync<HttpRequestException>(
            () => CollectAsync(client.StreamAsync(Get(), TestJsonContext.Default.TestEvent, null, resumeOnBreak: true, Ct)));

        // Assert
        error.Message.ShouldContain("3 times in a row");
        _server.CountOf(Path).ShouldBe(3);
    }

    [Fact]
    public async Task StreamAsync_GetOpenAnswers503Once_OpenIsRetried()
    {
        _server.On(Path, ScriptedServer.Problem(503), ScriptedServer.Events(3));
        using var harness = new ClientHarness();
        var client = harness.Client(_server.Endpoint);

        // Act
        var items = await CollectAsync(client.StreamAsync(Get(), TestJsonContext.Default.TestEvent, null, Ct));

        // Assert
        items.Select(i => i.Data.N).ShouldBe([1, 2, 3]);
        _server.CountOf(Path).ShouldBe(2);
    }

    [Fact]
    public async Task StreamAsync_PostOpenAnswers503_NotRetried()
    {
        _server.On(Path, ScriptedServer.Problem(503), ScriptedServer.Events(3));
        using var harness = new ClientHarness();
        var client = harness.Client(_server.Endpoint);

        // Act
        var error = await Should.ThrowAsync<SidecarProblemException>(() => CollectAsync(
            client.StreamAsync(() => new HttpRequestMessage(HttpMethod.Post, Path), TestJsonContext.Default.TestEvent, null, Ct)));

        // Assert
        error.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        _server.CountOf(Path).ShouldBe(1, "a POST stream (exec) may have started a command: it is opened once");
    }

    [Fact]
    public async Task StreamAsync_ResumeOnPostStream_Refused()
    {
        using var harness = new ClientHarness();
        var client = harness.Client(_server.Endpoint);

        // Act
        var error = await Should.ThrowAsync<InvalidOperationException>(() => CollectAsync(client.StreamAsync(
            () => new HttpRequestMessage(HttpMethod.Post, Path), TestJsonContext.Default.TestEvent, null, resumeOnBreak: true, Ct)));

        // Assert
        error.Message.ShouldContain("GET");
        _server.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task StreamAsync_UnknownStream_404ProblemWithoutRetry()
    {
        using var harness = new ClientHarness();
        var client = harness.Client(_server.Endpoint);

        // Act
        var error = await Should.ThrowAsync<SidecarProblemException>(() => CollectAsync(
            client.StreamAsync(() => new HttpRequestMessage(HttpMethod.Get, "/nothing"), TestJsonContext.Default.TestEvent, null, Ct)));

        // Assert
        error.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        error.Problem.Detail.ShouldBe("scripted 404");
        _server.CountOf("/nothing").ShouldBe(1);
    }
}
