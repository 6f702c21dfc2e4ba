using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Common;
using Shadow.Sidecar.Contracts.Exec;
using Shadow.Testing;
using Shouldly;
using static Shadow.Sidecar.Tests.Exec.ExecTestKit;

namespace Shadow.Sidecar.Tests.Exec;

public sealed class ExecTests(SidecarFixture fixture, HostSidecarFixture host) : IClassFixture<SidecarFixture>, IClassFixture<HostSidecarFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Http => fixture.Http;

    // The tests that follow processes by the pids commands print need a sidecar without a pid namespace (SandboxTests cover the sandbox).
    private HttpClient HostHttp => host.Http;

    private string Scratch(string name) => Path.Combine(fixture.Workspace, $"{name}-{Guid.NewGuid():N}");

    private string HostScratch(string name) => Path.Combine(host.Workspace, $"{name}-{Guid.NewGuid():N}");

    [Fact]
    public async Task Exec_Echo_ReturnsStdoutAndExitZero()
    {
        // Act
        var result = await ExecAsync(Http, new ExecRequest("echo hello; echo world"), Ct);

        // Assert
        result.ExitCode.ShouldBe(0);
        result.Stdout.ShouldBe("hello\nworld\n");
        result.Stderr.ShouldBeEmpty();
        result.TimedOut.ShouldBeFalse();
        result.Truncated.ShouldBeFalse();
        result.CommandId.ShouldNotBeNullOrEmpty();
        result.DurationMs.ShouldBeGreaterThanOrEqualTo(0);
    }

    [Theory]
    [InlineData("exit 7", 7)]
    [InlineData("false", 1)]
    [InlineData("kill -TERM $$", 143)]
    public async Task Exec_FailingCommand_ReturnsItsExitCode(string command, int expected)
    {
        // Act
        var result = await ExecAsync(Http, new ExecRequest(command), Ct);

        // Assert
        result.ExitCode.ShouldBe(expected);
        result.TimedOut.ShouldBeFalse();
    }

    [Fact]
    public async Task Exec_WritesToStderr_CapturedSeparately()
    {
        // Act
        var result = await ExecAsync(Http, new ExecRequest("echo out; echo oops >&2; exit 2"), Ct);

        // Assert
        result.Stdout.ShouldBe("out\n");
        result.Stderr.ShouldBe("oops\n");
        result.ExitCode.ShouldBe(2);
    }

    [Fact]
    public async Task Exec_WithCwd_RunsInThatFolder()
    {
        Directory.CreateDirectory(Path.Combine(fixture.Workspace, "sub", "deeper"));

        // Act
        var result = await ExecAsync(Http, new ExecRequest("pwd; echo $PWD", Cwd: "sub/deeper"), Ct);

        // Assert
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.ShouldAllBe(l => l.EndsWith("/ws/sub/deeper", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Exec_WithoutCwd_RunsInWorkspaceRoot()
    {
        // Act
        var result = await ExecAsync(Http, new ExecRequest("pwd"), Ct);

        // Assert
        result.Stdout.Trim().ShouldEndWith("/ws");
    }

    [Fact]
    public async Task Exec_Environment_HasOverridesHomeAndNoToken()
    {
        // Act
        var result = await ExecAsync(HostHttp, new ExecRequest(
            "echo \"a=$MY_VAR\"; echo \"token=${SHADOW_SIDECAR_TOKEN:-none}\"; echo \"home=$HOME\"; env",
            Env: new Dictionary<string, string> { ["MY_VAR"] = "x y $z" }), Ct);

        // Assert
        result.Stdout.ShouldContain("a=x y $z\n");
        result.Stdout.ShouldContain("token=none\n");
        result.Stdout.ShouldNotContain(host.Sidecar.Token);
        var home = result.Stdout.Split('\n').First(l => l.StartsWith("home=", StringComparison.Ordinal))[5..];
        Directory.Exists(home).ShouldBeTrue($"HOME '{home}' must exist");
    }

    [Fact]
    public async Task Exec_ReadsStdin_SeesEndOfFileAtOnce()
    {
        // Act
        var result = await ExecAsync(Http, new ExecRequest("cat; read x; echo \"read=$?\"", TimeoutSeconds: 10), Ct);

        // Assert
        result.TimedOut.ShouldBeFalse();
        result.Stdout.ShouldBe("read=1\n");
    }

    [Fact]
    public async Task Exec_OutputOverCap_IsTruncatedAndFlagged()
    {
        // 3 MiB of 'a' on stdout against the default 1 MiB cap; a little on stderr.
        // Act
        var result = await ExecAsync(Http, new ExecRequest("head -c 3145728 /dev/zero | tr '\\0' a; echo tail >&2"), Ct);

        // Assert
        result.ExitCode.ShouldBe(0);
        result.StdoutTruncated.ShouldBeTrue();
        result.Truncated.ShouldBeTrue();
        result.StderrTruncated.ShouldBeFalse();
        result.Stdout.Length.ShouldBe(1024 * 1024);
        result.Stdout.ShouldAllBe(c => c == 'a');
        result.Stderr.ShouldBe("tail\n");
    }

    [Fact]
    public async Task Exec_MultiByteOutputCutAtCap_KeepsWholeCharacters()
    {
        // 'é' is two bytes: 600,000 of them are 1.2 MB, cut at 1 MiB on a character boundary.
        // Act
        var result = await ExecAsync(Http, new ExecRequest("yes 'é' | tr -d '\\n' | head -c 1200000"), Ct);

        // Assert
        result.StdoutTruncated.ShouldBeTrue();
        result.Stdout.ShouldAllBe(c => c == 'é');
        result.Stdout.Length.ShouldBe(1024 * 1024 / 2);
    }

    [Fact]
    public async Task Exec_Timeout_KillsWholeProcessGroup()
    {
        var childFile = HostScratch("child");
        var mainFile = HostScratch("main");
        var watch = Stopwatch.StartNew();

        // Act
        var result = await ExecAsync(HostHttp, new ExecRequest($"sleep 300 & echo $! > {childFile}; echo $$ > {mainFile}; sleep 300", TimeoutSeconds: 1), Ct);

        // Assert
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20));
        result.TimedOut.ShouldBeTrue();
        result.ExitCode.ShouldBe(143);
        var child = await ReadPidFileAsync(childFile, Ct);
        var main = await ReadPidFileAsync(mainFile, Ct);
        await WaitGoneAsync(child, Ct);
        await WaitGoneAsync(main, Ct);
    }

    [Fact]
    public async Task Exec_IgnoresSigterm_IsKilledAfterGrace()
    {
        var pidFile = HostScratch("stubborn");

        // Act
        var result = await ExecAsync(HostHttp, new ExecRequest($"trap '' TERM; echo $$ > {pidFile}; while true; do sleep 0.1; done", TimeoutSeconds: 1), Ct);

        // Assert
        result.TimedOut.ShouldBeTrue();
        result.ExitCode.ShouldBe(137);
        await WaitGoneAsync(await ReadPidFileAsync(pidFile, Ct), Ct);
    }

    [Fact]
    public async Task Exec_LeavesBackgroundChild_ChildIsEndedWhenCommandExits()
    {
        var childFile = HostScratch("orphan");

        // Act
        var result = await ExecAsync(HostHttp, new ExecRequest($"sleep 300 > /dev/null 2>&1 & echo $! > {childFile}; echo done"), Ct);

        // Assert
        result.ExitCode.ShouldBe(0);
        result.Stdout.ShouldBe("done\n");
        await WaitGoneAsync(await ReadPidFileAsync(childFile, Ct), Ct);
    }

    [Fact]
    public async Task Exec_TenAtOnce_EachReturnsItsOwnOutput()
    {
        // Act
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            ExecAsync(Http, new ExecRequest($"echo start-{i}; sleep 0.3; echo err-{i} >&2; echo end-{i}; exit {i}"), Ct)));

        // Assert
        for (var i = 0; i < 10; i++)
        {
            results[i].Stdout.ShouldBe($"start-{i}\nend-{i}\n");
            results[i].Stderr.ShouldBe($"err-{i}\n");
            results[i].ExitCode.ShouldBe(i);
        }

        results.Select(r => r.CommandId).Distinct().Count().ShouldBe(10);
    }

    [Fact]
    public async Task ExecStream_OutputThenSleep_FirstEventArrivesBeforeExit()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, SidecarRoutes.Exec.Stream)
        {
            Content = JsonContent.Create(new ExecRequest("echo a; sleep 1.5; echo b; echo c >&2; exit 3"), options: SidecarJson.Options),
        };
        var events = new List<(string Type, string Data, TimeSpan At)>();
        var watch = Stopwatch.StartNew();

        // Act
        using (var response = await OpenSseAsync(Http, request, Ct))
        {
            await foreach (var item in ReadSseAsync(response, Ct))
            {
                events.Add((item.EventType, item.Data, watch.Elapsed));
            }
        }

        // Assert
        events[0].Type.ShouldBe("start");
        events[^1].Type.ShouldBe("exit");
        var exit = JsonSerializer.Deserialize(events[^1].Data, ExecJsonContext.Default.ExecExitEvent)!;
        exit.ExitCode.ShouldBe(3);
        exit.TimedOut.ShouldBeFalse();
        var firstOutput = events.First(e => e.Type == "stdout");
        Entry(new(firstOutput.Data, firstOutput.Type)).Text.ShouldBe("a\n");
        (events[^1].At - firstOutput.At).ShouldBeGreaterThan(TimeSpan.FromSeconds(1), "the first chunk must arrive while the command still runs");
        string.Concat(events.Where(e => e.Type == "stdout").Select(e => Entry(new(e.Data, e.Type)).Text)).ShouldBe("a\nb\n");
        string.Concat(events.Where(e => e.Type == "stderr").Select(e => Entry(new(e.Data, e.Type)).Text)).ShouldBe("c\n");
    }

    [Fact]
    public async Task ExecStream_ClientGoesAway_CommandGroupIsKilled()
    {
        var pidFile = HostScratch("streamed");
        using var request = new HttpRequestMessage(HttpMethod.Post, SidecarRoutes.Exec.Stream)
        {
            Content = JsonContent.Create(new ExecRequest($"sleep 300 & echo $$ > {pidFile}; echo ready; wait", TimeoutSeconds: 600),
                options: SidecarJson.Options),
        };
        var response = await OpenSseAsync(HostHttp, request, Ct);
        await using (var items = ReadSseAsync(response, Ct).GetAsyncEnumerator(Ct))
        {
            (await items.MoveNextAsync()).ShouldBeTrue();
            items.Current.EventType.ShouldBe("start");
        }

        var pid = await ReadPidFileAsync(pidFile, Ct);
        IsGone(pid).ShouldBeFalse();

        // Act
        response.Dispose();

        // Assert
        await WaitGoneAsync(pid, Ct);
    }

    [Fact]
    public async Task Background_StartListOutputKill_LeavesNoSurvivor()
    {
        var childFile = HostScratch("bg-child");
        var mainFile = HostScratch("bg-main");

        // Act: start
        using var startResponse = await HostHttp.PostAsJsonAsync(SidecarRoutes.Exec.Background,
            new BackgroundExecRequest($"sleep 300 & echo $! > {childFile}; echo $$ > {mainFile}; echo started; sleep 300"), SidecarJson.Options, Ct);
        startResponse.StatusCode.ShouldBe(HttpStatusCode.OK);
        var started = (await startResponse.Content.ReadFromJsonAsync(ExecJsonContext.Default.BackgroundExecStarted, Ct))!;

        // Assert: output and list
        started.Pid.ShouldBeGreaterThan(0);
        BackgroundOutputResponse? output = null;
        await WaitUntilAsync(async () =>
        {
            output = await GetAsync(HostHttp, SidecarRoutes.Exec.BackgroundOutput(started.Id) + "?since=0", ExecJsonContext.Default.BackgroundOutputResponse, Ct);
            return output.Entries.Any(e => e.Text == "started\n");
        }, TimeSpan.FromSeconds(15), "the background command's output", Ct);
        output!.Command.Status.ShouldBe(BackgroundCommandStatus.Running);
        output.Entries.ShouldAllBe(e => e.CommandId == started.Id);
        output.Entries[0].Text.ShouldStartWith("$ sleep 300");
        var list = await GetAsync(HostHttp, SidecarRoutes.Exec.Background, ExecJsonContext.Default.BackgroundCommandList, Ct);
        list.Commands.ShouldContain(c => c.Id == started.Id && c.Status == BackgroundCommandStatus.Running && c.Pid == started.Pid);
        var child = await ReadPidFileAsync(childFile, Ct);
        var main = await ReadPidFileAsync(mainFile, Ct);
        main.ShouldBe(started.Pid);

        // Act: kill
        using var killResponse = await HostHttp.PostAsync(SidecarRoutes.Exec.BackgroundKill(started.Id), null, Ct);

        // Assert: killed, nothing left
        killResponse.StatusCode.ShouldBe(HttpStatusCode.OK);
        var killed = (await killResponse.Content.ReadFromJsonAsync(ExecJsonContext.Default.BackgroundCommandInfo, Ct))!;
        killed.Status.ShouldBe(BackgroundCommandStatus.Killed);
        killed.EndedAt.ShouldNotBeNull();
        await WaitGoneAsync(child, Ct);
        await WaitGoneAsync(main, Ct);
        var after = await GetAsync(HostHttp, SidecarRoutes.Exec.BackgroundOutput(started.Id) + $"?since={output.NextSince}",
            ExecJsonContext.Default.BackgroundOutputResponse, Ct);
        after.Entries.ShouldContain(e => e.Stream == Contracts.Terminal.TerminalStream.System && e.Text.Contains("killed", StringComparison.Ordinal));
        after.Entries.ShouldAllBe(e => e.Seq > output.NextSince);
    }

    [Fact]
    public async Task Background_ExitsByItself_IsListedAsExitedWithCode()
    {
        using var startResponse = await Http.PostAsJsonAsync(SidecarRoutes.Exec.Background, new BackgroundExecRequest("echo bye; exit 4"), SidecarJson.Options, Ct);
        var started = (await startResponse.Content.ReadFromJsonAsync(ExecJsonContext.Default.BackgroundExecStarted, Ct))!;

        // Act
        BackgroundCommandInfo? info = null;
        await WaitUntilAsync(async () =>
        {
            var list = await GetAsync(Http, SidecarRoutes.Exec.Background, ExecJsonContext.Default.BackgroundCommandList, Ct);
            info = list.Commands.Single(c => c.Id == started.Id);
            return info.Status != BackgroundCommandStatus.Running;
        }, TimeSpan.FromSeconds(15), "the background command to exit", Ct);

        // Assert
        info!.Status.ShouldBe(BackgroundCommandStatus.Exited);
        info.ExitCode.ShouldBe(4);
        var output = await GetAsync(Http, SidecarRoutes.Exec.BackgroundOutput(started.Id), ExecJsonContext.Default.BackgroundOutputResponse, Ct);
        output.Entries.Select(e => e.Text).ShouldContain("bye\n");
        output.Entries[^1].Text.ShouldStartWith("[exit 4");
    }

    [Fact]
    public async Task ExecWhileTerminalReaderStalls_CommandIsNotSlowedDown()
    {
        // Two SSE readers that never read a byte.
        using var stalledClient = fixture.Sidecar.CreateHttpClient();
        using var stalled1 = await OpenSseAsync(stalledClient, new HttpRequestMessage(HttpMethod.Get, SidecarRoutes.Terminal.Stream), Ct);
        using var stalled2 = await OpenSseAsync(stalledClient, new HttpRequestMessage(HttpMethod.Get, SidecarRoutes.Terminal.Stream + "?since=0"), Ct);

        // Act: 64 MB through the terminal buffer, far more than socket buffers hold.
        var watch = Stopwatch.StartNew();
        var result = await ExecAsync(Http, new ExecRequest("head -c 67108864 /dev/zero | tr '\\0' x; echo end >&2", TimeoutSeconds: 60), Ct);

        // Assert
        result.TimedOut.ShouldBeFalse();
        result.ExitCode.ShouldBe(0);
        result.Stderr.ShouldBe("end\n");
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30), "a stalled reader must not throttle the command");
        var health = await Http.GetAsync(SidecarRoutes.Terminal.Stats, Ct);
        health.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    public static TheoryData<string, string, string> BadRunBodies => new()
    {
        { "empty command", """{"command":""}""", "'command'" },
        { "blank command", """{"command":"   "}""", "'command'" },
        { "negative timeout", """{"command":"true","timeoutSeconds":-1}""", "'timeoutSeconds'" },
        { "zero timeout", """{"command":"true","timeoutSeconds":0}""", "'timeoutSeconds'" },
        { "timeout over max", """{"command":"true","timeoutSeconds":999999}""", "'timeoutSeconds'" },
        { "cwd outside", """{"command":"true","cwd":"../"}""", "'cwd'" },
        { "cwd absolute", """{"command":"true","cwd":"/etc"}""", "'cwd'" },
        { "cwd missing", """{"command":"true","cwd":"no/such/dir"}""", "'cwd'" },
        { "bad env name", """{"command":"true","env":{"A=B":"x"}}""", "'env'" },
        { "reserved env name", """{"command":"true","env":{"SHADOW_SIDECAR_TOKEN":"x"}}""", "'env'" },
        { "malformed json", """{"command":"true",""", "JSON" },
        { "missing command", """{"cwd":"."}""", "command" },
        { "wrong type", """{"command":"true","timeoutSeconds":"soon"}""", "timeoutSeconds" },
    };

    [Theory]
    [MemberData(nameof(BadRunBodies))]
    public async Task Exec_BadInput_Answers400Problem(string why, string json, string detailMentions)
    {
        foreach (var route in new[] { SidecarRoutes.Exec.Run, SidecarRoutes.Exec.Stream })
        {
            // Act
            using var response = await Http.PostAsync(route, new StringContent(json, Encoding.UTF8, "application/json"), Ct);

            // Assert
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, $"{why} on {route}");
            response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
            var problem = (await response.Content.ReadFromJsonAsync(CommonJsonContext.Default.ProblemResponse, Ct))!;
            problem.Detail.ShouldNotBeNull().ShouldContain(detailMentions, Case.Insensitive, $"{why} on {route}");
        }
    }

    [Fact]
    public async Task Exec_CwdIsAFile_Answers400()
    {
        await File.WriteAllTextAsync(Path.Combine(fixture.Workspace, "plain.txt"), "x", Ct);

        // Act
        using var response = await Http.PostAsJsonAsync(SidecarRoutes.Exec.Run, new ExecRequest("true", Cwd: "plain.txt"), SidecarJson.Options, Ct);

        // Assert
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync(Ct)).ShouldContain("not a directory");
    }

    [Fact]
    public async Task Background_BadInput_Answers400()
    {
        // Act
        using var empty = await Http.PostAsync(SidecarRoutes.Exec.Background, new StringContent("""{"command":""}""", Encoding.UTF8, "application/json"), Ct);
        using var outside = await Http.PostAsync(SidecarRoutes.Exec.Background,
            new StringContent("""{"command":"true","cwd":"../.."}""", Encoding.UTF8, "application/json"), Ct);
        using var malformed = await Http.PostAsync(SidecarRoutes.Exec.Background, new StringContent("{", Encoding.UTF8, "application/json"), Ct);

        // Assert
        empty.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        outside.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        malformed.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Background_UnknownId_Answers404()
    {
        // Act
        using var output = await Http.GetAsync(SidecarRoutes.Exec.BackgroundOutput("cmd_nope"), Ct);
        using var kill = await Http.PostAsync(SidecarRoutes.Exec.BackgroundKill("cmd_nope"), null, Ct);

        // Assert
        output.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        kill.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        output.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await output.Content.ReadAsStringAsync(Ct)).ShouldContain("cmd_nope");
    }

    [Fact]
    public async Task BackgroundOutput_BadQuery_Answers400()
    {
        using var startResponse = await Http.PostAsJsonAsync(SidecarRoutes.Exec.Background, new BackgroundExecRequest("true"), SidecarJson.Options, Ct);
        var started = (await startResponse.Content.ReadFromJsonAsync(ExecJsonContext.Default.BackgroundExecStarted, Ct))!;

        // Act
        using var negative = await Http.GetAsync(SidecarRoutes.Exec.BackgroundOutput(started.Id) + "?since=-1", Ct);
        using var zeroLimit = await Http.GetAsync(SidecarRoutes.Exec.BackgroundOutput(started.Id) + "?limit=0", Ct);
        using var notNumber = await Http.GetAsync(SidecarRoutes.Exec.BackgroundOutput(started.Id) + "?since=abc", Ct);

        // Assert
        negative.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        zeroLimit.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        notNumber.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }
}

/// <summary>Tests that need their own sidecar (limits, shutdown).</summary>
public sealed class ExecLifecycleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Background_OverLimit_Answers409WithDetail()
    {
        using var root = new TempDirectory("shadow-exec");
        await using var sidecar = await SidecarProcess.StartAsync(root.CreateSubdirectory("ws"), root.Combine("state"), null, Ct,
            "--Sidecar:Exec:MaxBackgroundCommands=2");
        using var http = sidecar.CreateHttpClient();
        var ids = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            using var ok = await http.PostAsJsonAsync(SidecarRoutes.Exec.Background, new BackgroundExecRequest("sleep 300"), SidecarJson.Options, Ct);
            ok.StatusCode.ShouldBe(HttpStatusCode.OK);
            ids.Add((await ok.Content.ReadFromJsonAsync(ExecJsonContext.Default.BackgroundExecStarted, Ct))!.Id);
        }

        // Act
        using var third = await http.PostAsJsonAsync(SidecarRoutes.Exec.Background, new BackgroundExecRequest("sleep 300"), SidecarJson.Options, Ct);

        // Assert
        third.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await third.Content.ReadAsStringAsync(Ct)).ShouldContain("MaxBackgroundCommands");

        // Once one is killed, there is room again.
        using var kill = await http.PostAsync(SidecarRoutes.Exec.BackgroundKill(ids[0]), null, Ct);
        kill.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var fourth = await http.PostAsJsonAsync(SidecarRoutes.Exec.Background, new BackgroundExecRequest("true"), SidecarJson.Options, Ct);
        fourth.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task GracefulShutdown_EndsRunningCommands_AndRecordsTheirExit()
    {
        using var root = new TempDirectory("shadow-exec");
        var workspace = root.CreateSubdirectory("ws");
        await using var sidecar = await SidecarProcess.StartAsync(workspace, root.Combine("state"), null, Ct, "--sandbox", "None");
        using var http = sidecar.CreateHttpClient();
        var bgFile = Path.Combine(workspace, "bg.pid");
        var fgFile = Path.Combine(workspace, "fg.pid");
        using var bg = await http.PostAsJsonAsync(SidecarRoutes.Exec.Background,
            new BackgroundExecRequest($"sleep 300 & echo $! > {bgFile}; wait"), SidecarJson.Options, Ct);
        var bgStarted = (await bg.Content.ReadFromJsonAsync(ExecJsonContext.Default.BackgroundExecStarted, Ct))!;
        var foreground = http.PostAsJsonAsync(SidecarRoutes.Exec.Run, new ExecRequest($"echo $$ > {fgFile}; sleep 300", TimeoutSeconds: 600),
            SidecarJson.Options, Ct);
        var bgChild = await ExecTestKit.ReadPidFileAsync(bgFile, Ct);
        var fgMain = await ExecTestKit.ReadPidFileAsync(fgFile, Ct);

        // Act
        await sidecar.StopGracefullyAsync(TimeSpan.FromSeconds(20));

        // Assert
        sidecar.ExitCode.ShouldBe(0, sidecar.Output);
        ExecTestKit.IsGone(bgChild).ShouldBeTrue("the background command's child must be ended");
        ExecTestKit.IsGone(fgMain).ShouldBeTrue("the foreground command must be ended");
        HttpResponseMessage answered;
        try
        {
            answered = await foreground;
        }
        catch (HttpRequestException e)
        {
            throw new ShouldAssertException($"The waiting foreground request must be answered before the sidecar goes. Sidecar output:\n{sidecar.Output}", e);
        }

        using (answered)
        {
            answered.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        // The exit entries were flushed before the process ended: they are there after a restart.
        await sidecar.RestartAsync(cancellationToken: Ct);
        using var http2 = sidecar.CreateHttpClient();
        var history = await ExecTestKit.HistoryAsync(http2, 0, Ct);
        history.Entries.ShouldContain(e => e.CommandId == bgStarted.Id && e.Text.Contains("killed", StringComparison.Ordinal));
    }
}

/// <summary>A crash of the sidecar must not leave commands running for good.</summary>
public sealed class ExecCrashTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Restart_AfterSigkill_EndsCommandsTheCrashedSidecarLeft()
    {
        using var root = new TempDirectory("shadow-exec");
        var workspace = root.CreateSubdirectory("ws");
        await using var sidecar = await SidecarProcess.StartAsync(workspace, root.Combine("state"), null, Ct, "--sandbox", "None");
        using (var http = sidecar.CreateHttpClient())
        {
            // Output to a file: a crash closing the pipes must not be what ends it.
            using var started = await http.PostAsJsonAsync(SidecarRoutes.Exec.Background,
                new BackgroundExecRequest("sleep 300 > /dev/null 2>&1 & echo $! > child.pid; echo $$ > main.pid; wait > /dev/null 2>&1"), SidecarJson.Options, Ct);
            started.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var child = await ExecTestKit.ReadPidFileAsync(Path.Combine(workspace, "child.pid"), Ct);
        var main = await ExecTestKit.ReadPidFileAsync(Path.Combine(workspace, "main.pid"), Ct);

        // Act: SIGKILL to the sidecar alone (the harness's KillAsync would take its whole process tree).
        using (var kill = Process.Start("kill", ["-KILL", sidecar.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(Ct);
        }

        await ExecTestKit.WaitGoneAsync(sidecar.ProcessId, Ct);
        ExecTestKit.IsGone(child).ShouldBeFalse("the crash alone leaves the command running");
        await sidecar.RestartAsync(cancellationToken: Ct);

        // Assert
        await ExecTestKit.WaitGoneAsync(child, Ct);
        await ExecTestKit.WaitGoneAsync(main, Ct);
    }
}
