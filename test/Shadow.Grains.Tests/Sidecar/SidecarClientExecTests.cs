using System.Net;
using Shadow.Grains.Sidecar;
using Shadow.Sidecar.Contracts.Exec;
using Shadow.Sidecar.Contracts.Terminal;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Grains.Tests.Sidecar;

/// <summary>The exec and terminal methods of <see cref="SidecarClient"/> against a real sidecar.</summary>
public sealed class SidecarClientExecTests : IAsyncLifetime
{
    private readonly TempDirectory _root = new("shadow-client-exec");
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private SidecarProcess _sidecar = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() =>
        _sidecar = await SidecarProcess.StartAsync(_root.CreateSubdirectory("ws"), _root.Combine("state"));

    public async ValueTask DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        _http.Dispose();
        _root.Dispose();
    }

    private SidecarClient CreateClient(TimeSpan? attemptTimeout = null) =>
        new(_http, new SidecarEndpoint(_sidecar.BaseAddress, _sidecar.Token),
            SidecarResilience.Create(new SidecarClientOptions { AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(30) }, TimeProvider.System));

    [Fact]
    public async Task ExecAsync_CommandOutlastsDefaultAttemptTimeout_GetsItsOwnTimeout()
    {
        // The default attempt timeout (here 1 s) must not cut a command that asked for more.
        var client = CreateClient(attemptTimeout: TimeSpan.FromSeconds(1));

        // Act
        var result = await client.ExecAsync(new ExecRequest("sleep 2; echo slow", TimeoutSeconds: 10), Ct);

        // Assert
        result.ExitCode.ShouldBe(0);
        result.Stdout.ShouldBe("slow\n");
    }

    [Fact]
    public async Task ExecAsync_BadRequest_ThrowsProblemWithDetail()
    {
        var client = CreateClient();

        // Act
        var error = await Should.ThrowAsync<SidecarProblemException>(() => client.ExecAsync(new ExecRequest("true", TimeoutSeconds: -3), Ct));

        // Assert
        error.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        error.Problem.Detail!.ShouldContain("timeoutSeconds");
    }

    [Fact]
    public async Task ExecStreamAsync_YieldsStartOutputAndExit()
    {
        var client = CreateClient();

        // Act
        var events = new List<ExecStreamEvent>();
        await foreach (var e in client.ExecStreamAsync(new ExecRequest("echo one; echo two >&2; exit 6"), Ct))
        {
            events.Add(e);
        }

        // Assert
        events[0].Type.ShouldBe(ExecStreamEventType.Start);
        events[0].Started!.Pid.ShouldBeGreaterThan(0);
        events[^1].Type.ShouldBe(ExecStreamEventType.Exit);
        events[^1].Exit!.ExitCode.ShouldBe(6);
        string.Concat(events.Where(e => e.Type == ExecStreamEventType.Stdout).Select(e => e.Output!.Text)).ShouldBe("one\n");
        string.Concat(events.Where(e => e.Type == ExecStreamEventType.Stderr).Select(e => e.Output!.Text)).ShouldBe("two\n");
    }

    [Fact]
    public async Task Background_StartOutputListKill_RoundTrips()
    {
        var client = CreateClient();

        // Act
        var started = await client.StartBackgroundAsync(new BackgroundExecRequest("echo hello-bg; sleep 300"), Ct);
        BackgroundOutputResponse output = null!;
        for (var i = 0; i < 400 && !(output?.Entries.Any(e => e.Text == "hello-bg\n") ?? false); i++)
        {
            output = await client.GetBackgroundOutputAsync(started.Id, since: 0, cancellationToken: Ct);
            await Task.Delay(25, Ct);
        }

        var list = await client.ListBackgroundAsync(Ct);
        var killed = await client.KillBackgroundAsync(started.Id, Ct);

        // Assert
        output.Entries.ShouldContain(e => e.Text == "hello-bg\n", "the background output within 10 s");
        list.Commands.ShouldContain(c => c.Id == started.Id && c.Status == BackgroundCommandStatus.Running);
        killed.Status.ShouldBe(BackgroundCommandStatus.Killed);
        var missing = await Should.ThrowAsync<SidecarProblemException>(() => client.KillBackgroundAsync("cmd_unknown", Ct));
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Terminal_HistoryStatsStreamClear_RoundTrip()
    {
        var client = CreateClient();
        var first = await client.ExecAsync(new ExecRequest("echo first"), Ct);
        var marker = (await client.GetTerminalStatsAsync(Ct)).LastSeq;
        var second = await client.ExecAsync(new ExecRequest("echo second"), Ct);

        // Act
        var history = await client.GetTerminalHistoryAsync(since: marker, cancellationToken: Ct);
        var streamed = new List<TerminalEntry>();
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(20));
            await foreach (var entry in client.StreamTerminalAsync(lastEventId: marker, cancellationToken: timeout.Token))
            {
                streamed.Add(entry);
                if (entry.Seq == history.LastSeq)
                {
                    break;
                }
            }
        }

        var cleared = await client.ClearTerminalAsync(Ct);
        var stats = await client.GetTerminalStatsAsync(Ct);

        // Assert
        history.Entries.ShouldAllBe(e => e.Seq > marker);
        history.Entries.ShouldContain(e => e.CommandId == second.CommandId && e.Text == "second\n");
        history.Entries.ShouldNotContain(e => e.CommandId == first.CommandId);
        streamed.Select(e => e.Seq).ShouldBe(history.Entries.Select(e => e.Seq));
        cleared.Cleared.ShouldBeGreaterThan(0);
        stats.Count.ShouldBe(0);
        stats.LastSeq.ShouldBe(cleared.LastSeq);
    }
}
