using System.Net;
using Shadow.Grains.Sidecar;
using Shouldly;

namespace Shadow.Grains.Tests.Sidecar;

/// <summary>
/// Which answers are retried, and <c>Retry-After</c>. A healthy sidecar does not answer 5xx or 429 on cue, so these run
/// against <see cref="ScriptedServer"/> (a protocol fixture).
/// </summary>
public sealed class RetryAfterTests : IAsyncLifetime
{
    private const string Path = "/scripted";
    private const string Ok = """{"n":1,"text":"ok"}""";
    private ScriptedServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await ScriptedServer.StartAsync(Ct);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task GetAsync_TransientStatusOnce_RetriedAndSucceeds(int status)
    {
        _server.On(Path, ScriptedServer.Problem(status), ScriptedServer.Json(Ok));
        using var harness = new ClientHarness();
        var client = harness.Client(_server.Endpoint);

        // Act
        var result = await client.GetAsync(Path, TestJsonContext.Default.TestEvent, Ct);

        // Assert
        result.ShouldBe(new TestEvent(1, "ok"));
        _server.CountOf(Path).ShouldBe(2);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(409)]
    [InlineData(413)]
    [InlineData(422)]
    [InlineData(501)]
    public async Task GetAsync_NonTransientStatus_NotRetried(int status)
    {
        _server.On(Path, ScriptedServer.Problem(status), ScriptedServer.Json(Ok));
        using var harness = new ClientHarness();
        var client = harness.Client(_server.Endpoint);

        // Act
        var error = await Should.ThrowAsync<SidecarProblemException>(() => client.GetAsync(Path, TestJsonContext.Default.TestEvent, Ct));

        // Assert
        ((int)error.StatusCode).ShouldBe(status);
        error.Problem.Detail.ShouldBe($"scripted {status}");
        _server.CountOf(Path).ShouldBe(1);
    }

    [Theory]
    [InlineData(503)]
    [InlineData(429)]
    public async Task GetAsync_RetryAfterWithinLimit_WaitsTheAskedDelay(int status)
    {
        _server.On(Path, ScriptedServer.Problem(status, retryAfterSeconds: 1), ScriptedServer.Json(Ok));
        using var harness = new ClientHarness();
        var client = harness.Client(_server.Endpoint);
        var started = TimeProvider.System.GetTimestamp();

        // Act
        var result = await client.GetAsync(Path, TestJsonContext.Default.TestEvent, Ct);

        // Assert
        result.N.ShouldBe(1);
        harness.Events.RetryDelays.ShouldHaveSingleItem().ShouldBe(TimeSpan.FromSeconds(1));
        TimeProvider.System.GetElapsedTime(started).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(950));
        _server.CountOf(Path).ShouldBe(2);
    }

    [Fact]
    public async Task GetAsync_RetryAfterBeyondMaxRetryAfter_SurfacesAnswerWithoutRetry()
    {
        _server.On(Path, ScriptedServer.Problem(503, retryAfterSeconds: 120), ScriptedServer.Json(Ok));
        var options = ClientHarness.Fast();
        options.MaxRetryAfter = TimeSpan.FromSeconds(30);
        using var harness = new ClientHarness(options);
        var client = harness.Client(_server.Endpoint);

        // Act
        var error = await Should.ThrowAsync<SidecarProblemException>(() => client.GetAsync(Path, TestJsonContext.Default.TestEvent, Ct));

        // Assert
        error.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        _server.CountOf(Path).ShouldBe(1);
    }

    [Fact]
    public async Task GetAsync_AlwaysUnavailable_GivesUpAfterMaxRetryAttempts()
    {
        _server.On(Path, ScriptedServer.Problem(503));
        var options = ClientHarness.Fast();
        options.MaxRetryAttempts = 4;
        options.BreakerMinimumThroughput = 10_000;
        using var harness = new ClientHarness(options);
        var client = harness.Client(_server.Endpoint);

        // Act
        var error = await Should.ThrowAsync<SidecarProblemException>(() => client.GetAsync(Path, TestJsonContext.Default.TestEvent, Ct));

        // Assert
        error.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        _server.CountOf(Path).ShouldBe(5);
        harness.Events.RetryDelays.Count.ShouldBe(4);
        harness.Events.RetryDelays.ShouldAllBe(d => d <= options.RetryMaxDelay);
    }
}
