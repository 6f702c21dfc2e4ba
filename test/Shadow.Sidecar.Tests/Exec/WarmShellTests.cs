using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Common;
using Shadow.Sidecar.Contracts.Exec;
using Shadow.Testing;
using Shouldly;
using static Shadow.Sidecar.Tests.Exec.ExecTestKit;

namespace Shadow.Sidecar.Tests.Exec;

/// <summary>Two sidecars on one workspace: one with warm shells (the default, 2), one with none (every command spawned cold).</summary>
public sealed class WarmColdFixture : IAsyncLifetime
{
    private readonly TempDirectory _root = new("shadow-warm");

    public SidecarProcess Warm { get; private set; } = null!;

    public SidecarProcess Cold { get; private set; } = null!;

    public HttpClient WarmHttp { get; private set; } = null!;

    public HttpClient ColdHttp { get; private set; } = null!;

    public string Workspace { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Workspace = _root.CreateSubdirectory("ws");
        Directory.CreateDirectory(Path.Combine(Workspace, "sub", "dir with space"));
        Warm = await SidecarProcess.StartAsync(Workspace, _root.Combine("warm-state"), null, default, "--Sidecar:Exec:WarmShells=2");
        Cold = await SidecarProcess.StartAsync(Workspace, _root.Combine("cold-state"), null, default, "--Sidecar:Exec:WarmShells=0");
        WarmHttp = Warm.CreateHttpClient();
        ColdHttp = Cold.CreateHttpClient();
    }

    public async ValueTask DisposeAsync()
    {
        WarmHttp.Dispose();
        ColdHttp.Dispose();
        await Warm.DisposeAsync();
        await Cold.DisposeAsync();
        _root.Dispose();
    }
}

public sealed class WarmShellTests(WarmColdFixture fixture) : IClassFixture<WarmColdFixture>
{
    // Only a warm shell's command line holds its script, which names this variable.
    private const string WarmMarker = "BASH_EXECUTION_STRING";
    private const string WhichShell = "tr '\\0' ' ' < /proc/$$/cmdline";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string?> SameCommands => new()
    {
        { "echo out; echo err >&2; exit 3", null },
        { "exit 3", null },
        { "false", null },
        { "kill -TERM $$", null },
        { "set -e; false; echo never", null },
        { "trap 'echo trapped; exit 5' EXIT; echo body", null },
        { "read x; echo \"read=$? x=[$x]\"; cat; readlink /proc/$$/fd/0; fds=(/proc/$$/fd/*); echo \"${fds[@]##*/}\"", null },
        { "pwd; echo \"$PWD|${OLDPWD-unset}\"; declare -p OLDPWD; cd ..; echo \"$OLDPWD\"", "sub/dir with space" },
        { "pwd; echo \"$PWD\"", null },
        { "echo \"0=$0 -=$- _=$_ #=$# ?=$? lvl=$SHLVL sec=$SECONDS\"; printf '%s\\n' \"$BASH_EXECUTION_STRING\" | head -c 40; echo", null },
        { "echo $LINENO\nnosuch_command_xyz\necho $LINENO; f() { caller; echo $LINENO; }; f", null },
        { "return 4; echo after", null },
        { "set -u; echo $not_set_anywhere", null },
        { "shopt -p; set -o; trap -p; declare -f; alias", null },
        // Every variable but the ones that differ between any two runs, SECONDS (a warm shell resets it, which gives it a
        // value) and PIPESTATUS (unset in a new bash until its first command has ended).
        { "declare -p | grep -Ev '^declare -[-a-zA-Z]+ (BASHPID|EPOCHREALTIME|EPOCHSECONDS|RANDOM|SRANDOM|PPID|_)=|^declare -[-a-zA-Z]+ (SECONDS|PIPESTATUS)\\b'", null },
        // Ignored signals are inherited and must match; the blocked and caught masks change while bash forks and waits for grep.
        { "grep -E '^SigIgn' /proc/$$/status; ulimit -a", null },
        { "awk '{ print ($5 == $1 && $6 == $1) ? \"leader of its group and session\" : \"not a leader\" }' /proc/$$/stat", null },
        { "yes | head -n 2; echo \"pipe=${PIPESTATUS[*]}\"", null },
        { "x=$(exec 2>&1; echo sub; exit 2); echo \"$x $?\"", null },
        { "exec sh -c 'echo replaced; exit 6'", null },
    };

    [Theory]
    [MemberData(nameof(SameCommands))]
    public async Task Exec_WarmAndCold_GiveTheSameResult(string command, string? cwd)
    {
        await WaitForIdleWarmShellsAsync(2);

        // Act
        var warm = await ExecAsync(fixture.WarmHttp, new ExecRequest(command, cwd, TimeoutSeconds: 20), Ct);
        var cold = await ExecAsync(fixture.ColdHttp, new ExecRequest(command, cwd, TimeoutSeconds: 20), Ct);

        // Assert
        warm.Stdout.ShouldBe(cold.Stdout, $"stdout of: {command}");
        warm.Stderr.ShouldBe(cold.Stderr, $"stderr of: {command}");
        warm.ExitCode.ShouldBe(cold.ExitCode, $"exit code of: {command}");
        warm.TimedOut.ShouldBeFalse();
        cold.TimedOut.ShouldBeFalse();
    }

    [Fact]
    public async Task Exec_WithWarmShellReady_RunsInTheWarmShell_AndColdSidecarSpawns()
    {
        await WaitForIdleWarmShellsAsync(2);

        // Act
        var warm = await ExecAsync(fixture.WarmHttp, new ExecRequest(WhichShell), Ct);
        var cold = await ExecAsync(fixture.ColdHttp, new ExecRequest(WhichShell), Ct);

        // Assert
        warm.Stdout.ShouldContain(WarmMarker);
        cold.Stdout.ShouldNotContain(WarmMarker);
        cold.Stdout.ShouldContain("-c " + WhichShell);
        IdleWarmShells(fixture.Cold).ShouldBeEmpty("WarmShells=0 keeps no shell");
    }

    [Fact]
    public async Task Exec_EnvOverride_TakesColdPathAndSeesTheVariable()
    {
        await WaitForIdleWarmShellsAsync(2);
        var idle = IdleWarmShells(fixture.Warm);

        // Act
        var result = await ExecAsync(fixture.WarmHttp, new ExecRequest($"echo \"v=$MY_VAR\"; {WhichShell}",
            Env: new Dictionary<string, string> { ["MY_VAR"] = "a b" }), Ct);

        // Assert
        result.Stdout.ShouldStartWith("v=a b\n");
        result.Stdout.ShouldNotContain(WarmMarker);
        IdleWarmShells(fixture.Warm).ShouldBe(idle, ignoreOrder: true, "the warm shells were not used");
    }

    [Fact]
    public async Task Exec_CommandLongerThanAWarmRequest_RunsColdAndWorks()
    {
        await WaitForIdleWarmShellsAsync(2);
        var filler = new string('x', 40 * 1024);

        // Act
        var result = await ExecAsync(fixture.WarmHttp, new ExecRequest($": {filler}; echo ok; {WhichShell} | head -c 20"), Ct);

        // Assert
        result.ExitCode.ShouldBe(0);
        result.Stdout.ShouldStartWith("ok\n");
        result.Stdout.ShouldNotContain(WarmMarker);
    }

    [Fact]
    public async Task Exec_InWarmShell_TimeoutKillsTheWholeGroup()
    {
        await WaitForIdleWarmShellsAsync(2);
        var tick = Path.Combine(fixture.Workspace, $"warm-tick-{Guid.NewGuid():N}");

        // Act: a child that keeps appending to a file, and a main shell that waits (pids mean nothing in a pid namespace, a file does).
        var result = await ExecAsync(fixture.WarmHttp,
            new ExecRequest($"{WhichShell} >&2; (while :; do echo x >> {tick}; sleep 0.02; done) & sleep 300", TimeoutSeconds: 1), Ct);

        // Assert
        result.Stderr.ShouldContain(WarmMarker);
        result.TimedOut.ShouldBeTrue();
        result.ExitCode.ShouldBe(143);
        await AssertStopsGrowingAsync(tick, Ct);
    }

    [Fact]
    public async Task Pool_AfterABurst_RefillsAndServesWarmAgain()
    {
        await WaitForIdleWarmShellsAsync(2);

        // Act: more commands at once than there are warm shells.
        var burst = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            ExecAsync(fixture.WarmHttp, new ExecRequest($"echo {i}; {WhichShell} >&2; exit {i}"), Ct)));

        // Assert
        for (var i = 0; i < burst.Length; i++)
        {
            burst[i].Stdout.ShouldBe($"{i}\n");
            burst[i].ExitCode.ShouldBe(i);
        }

        burst.Count(r => r.Stderr.Contains(WarmMarker, StringComparison.Ordinal)).ShouldBeGreaterThanOrEqualTo(1);
        await WaitForIdleWarmShellsAsync(2);
        var after = await ExecAsync(fixture.WarmHttp, new ExecRequest(WhichShell), Ct);
        after.Stdout.ShouldContain(WarmMarker);
    }

    [Fact]
    public async Task Stream_InWarmShell_StreamsAndReportsExit()
    {
        await WaitForIdleWarmShellsAsync(2);
        using var request = new HttpRequestMessage(HttpMethod.Post, SidecarRoutes.Exec.Stream)
        {
            Content = JsonContent.Create(new ExecRequest($"echo a; {WhichShell} >&2; exit 9"), options: SidecarJson.Options),
        };
        var events = new List<(string Type, string Data)>();

        // Act
        using (var response = await OpenSseAsync(fixture.WarmHttp, request, Ct))
        {
            await foreach (var item in ReadSseAsync(response, Ct))
            {
                events.Add((item.EventType, item.Data));
            }
        }

        // Assert
        events[0].Type.ShouldBe("start");
        string.Concat(events.Where(e => e.Type == "stdout").Select(e => Entry(new(e.Data, e.Type)).Text)).ShouldBe("a\n");
        string.Concat(events.Where(e => e.Type == "stderr").Select(e => Entry(new(e.Data, e.Type)).Text)).ShouldContain(WarmMarker);
        System.Text.Json.JsonSerializer.Deserialize(events[^1].Data, ExecJsonContext.Default.ExecExitEvent)!.ExitCode.ShouldBe(9);
    }

    [Theory]
    [InlineData("/exec")]
    [InlineData("/exec/stream")]
    [InlineData("/exec/background")]
    public async Task Exec_CommandWithNul_Answers400(string route)
    {
        // Act
        using var response = await fixture.WarmHttp.PostAsync(route,
            new StringContent("""{"command":"echo a\u0000b"}""", Encoding.UTF8, "application/json"), Ct);

        // Assert
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = (await response.Content.ReadFromJsonAsync(CommonJsonContext.Default.ProblemResponse, Ct))!;
        problem.Detail.ShouldNotBeNull().ShouldContain("NUL");
    }

    private async Task WaitForIdleWarmShellsAsync(int count) =>
        await WaitUntilAsync(() => IdleWarmShells(fixture.Warm).Count >= count, TimeSpan.FromSeconds(15),
            $"{count} warm shells of sidecar {fixture.Warm.ProcessId}", Ct);

    /// <summary>Children of the sidecar that still run the warm script (they have not been sent a command yet).</summary>
    internal static List<int> IdleWarmShells(SidecarProcess sidecar)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] is "Z" or "X" || fields[1] != sidecar.ProcessId.ToString(CultureInfo.InvariantCulture))
                {
                    continue;
                }

                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (cmdline.Contains(WarmMarker, StringComparison.Ordinal) && !ExecStarted(pid))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }
        }

        return found;
    }

    // A warm shell that was sent its command has put stdin on /dev/null.
    private static bool ExecStarted(int pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/fd/0").LinkTarget == "/dev/null";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }
}

/// <summary>Warm shells and the sidecar's own lifecycle.</summary>
public sealed class WarmShellLifecycleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GracefulStop_EndsIdleWarmShells()
    {
        using var root = new TempDirectory("shadow-warm");
        await using var sidecar = await SidecarProcess.StartAsync(root.CreateSubdirectory("ws"), root.Combine("state"), null, Ct, "--Sidecar:Exec:WarmShells=3");
        List<int> idle = [];
        await WaitUntilAsync(() => (idle = WarmShellTests.IdleWarmShells(sidecar)).Count == 3, TimeSpan.FromSeconds(15), "3 warm shells", Ct);

        // Act
        await sidecar.StopGracefullyAsync(TimeSpan.FromSeconds(20));

        // Assert
        sidecar.ExitCode.ShouldBe(0, sidecar.Output);
        foreach (var pid in idle)
        {
            await WaitGoneAsync(pid, Ct);
        }
    }

    [Fact]
    public async Task Sigkill_IdleWarmShellsEndWithTheirSidecar()
    {
        using var root = new TempDirectory("shadow-warm");
        await using var sidecar = await SidecarProcess.StartAsync(root.CreateSubdirectory("ws"), root.Combine("state"), null, Ct);
        List<int> idle = [];
        await WaitUntilAsync(() => (idle = WarmShellTests.IdleWarmShells(sidecar)).Count == 2, TimeSpan.FromSeconds(15), "2 warm shells", Ct);

        // Act: SIGKILL to the sidecar alone; a warm shell reads end-of-file on its request pipe.
        using (var kill = Process.Start("kill", ["-KILL", sidecar.ProcessId.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(Ct);
        }

        // Assert
        foreach (var pid in idle)
        {
            await WaitGoneAsync(pid, Ct);
        }
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("65")]
    public async Task Start_WithWarmShellsOutOfRange_RefusesNamingTheSetting(string value)
    {
        using var dir = new TempDirectory();
        var psi = SidecarProcess.CreateStartInfo(dir.Path, dir.Combine("state"), token: "0123456789abcdef0123", extraArgs: [$"--Sidecar:Exec:WarmShells={value}"]);

        // Act
        using var process = Process.Start(psi)!;
        var stderr = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);

        // Assert
        process.ExitCode.ShouldBe(2);
        stderr.ShouldContain("Sidecar:Exec:WarmShells");
    }
}
