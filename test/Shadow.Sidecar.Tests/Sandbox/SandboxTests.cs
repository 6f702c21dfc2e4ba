using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Common;
using Shadow.Sidecar.Contracts.Exec;
using Shouldly;
using static Shadow.Sidecar.Tests.Exec.ExecTestKit;

namespace Shadow.Sidecar.Tests.Sandbox;

/// <summary>
/// The escape corpus of issue 9, run as real commands through a real sandboxed sidecar: each attempt fails (and leaves the
/// host, the sidecar and the other workspace untouched), while ordinary work in the workspace still succeeds.
/// </summary>
public sealed class SandboxTests(SandboxFixture fixture) : IClassFixture<SandboxFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Http => fixture.Http;

    private async Task<ExecResponse> RunAsync(string command, int timeoutSeconds = 20)
    {
        Assert.SkipWhen(SandboxFixture.SkipReason is not null, SandboxFixture.SkipReason ?? string.Empty);
        return await ExecAsync(Http, new ExecRequest(command, TimeoutSeconds: timeoutSeconds), Ct);
    }

    private async Task AssertSidecarHealthyAsync()
    {
        var result = await ExecAsync(Http, new ExecRequest("echo alive"), Ct);
        result.ExitCode.ShouldBe(0);
        result.Stdout.ShouldBe("alive\n");
    }

    [Fact]
    public async Task ReadEtcShadow_SeesNothing()
    {
        var result = await RunAsync("cat /etc/shadow /etc/gshadow; echo \"rc=$?\"");

        result.Stdout.ShouldNotContain("root:");
        result.Stdout.ShouldNotContain("$y$");
        result.Stdout.ShouldNotContain("$6$");
    }

    [Fact]
    public async Task ReadDataFolder_DoesNotExist()
    {
        var result = await RunAsync($"cat {fixture.DataFolder}/grain-state.db; echo \"cat=$?\"; ls {fixture.Root} {fixture.Root}/workspaces");

        result.Stdout.ShouldContain("cat=1");
        (result.Stdout + result.Stderr).ShouldNotContain(SandboxFixture.DataSecret);
        result.Stderr.ShouldContain("No such file or directory");
        // Only the folders on the way to its own workspace exist in there.
        result.Stdout.ShouldNotContain("data");
        result.Stdout.ShouldNotContain("sidecar-state");
        result.Stdout.ShouldNotContain("task-b");
    }

    [Fact]
    public async Task ReadOtherTasksWorkspace_DoesNotExist()
    {
        var result = await RunAsync($"cat {fixture.OtherWorkspace}/secret.txt");

        result.ExitCode.ShouldNotBe(0);
        result.Stdout.ShouldNotContain(SandboxFixture.OtherSecret);
        result.Stderr.ShouldContain("No such file or directory");
    }

    [Fact]
    public async Task ReadHostHomeAndSsh_DoesNotExist()
    {
        var hostHome = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

        var result = await RunAsync($"ls -a {hostHome}/.ssh; ls -a ~/.ssh; ls -a {hostHome}");

        result.ExitCode.ShouldNotBe(0);
        result.Stderr.ShouldContain("No such file or directory");
        result.Stdout.ShouldNotContain(".bashrc");
    }

    [Fact]
    public async Task WriteOutsideWorkspace_FailsAndCreatesNothing()
    {
        var outside = Path.Combine(fixture.Root, "pwned.txt");

        var result = await RunAsync($"echo x > {outside}; echo x > /usr/pwned; echo x > /etc/pwned; echo x > /pwned; mkdir /opt/pwned; echo x > /tmp/private-ok && echo tmp-ok");

        File.Exists(outside).ShouldBeFalse();
        File.Exists("/usr/pwned").ShouldBeFalse();
        File.Exists("/etc/pwned").ShouldBeFalse();
        File.Exists("/pwned").ShouldBeFalse();
        Directory.Exists("/opt/pwned").ShouldBeFalse();
        result.Stderr.ShouldContain("Read-only file system");
        result.Stdout.ShouldContain("tmp-ok", customMessage: "the private /tmp is writable");
    }

    [Fact]
    public async Task ConnectToGatewayAndOtherSidecar_IsRefused()
    {
        var gateway = fixture.GatewayPort;
        var other = fixture.Other.BaseAddress.Port;

        var result = await RunAsync(
            $"for p in {gateway} {other}; do if exec 3<>/dev/tcp/127.0.0.1/$p; then echo \"connected $p\"; exec 3>&-; fi; done", 10);

        result.Stdout.ShouldNotContain("connected");
        fixture.GatewayAccepts.ShouldBe(0);
    }

    [Fact]
    public async Task SignalTheSidecar_NoSuchProcess()
    {
        var pid = fixture.Sidecar.ProcessId;

        var result = await RunAsync($"kill -9 {pid}; kill -9 {fixture.Other.ProcessId}; kill -STOP {pid}; echo \"rc=$?\"");

        result.Stdout.ShouldContain("rc=1");
        fixture.Sidecar.ExitCode.ShouldBeNull();
        fixture.Other.ExitCode.ShouldBeNull();
        await AssertSidecarHealthyAsync();
    }

    [Fact]
    public async Task ListHostProcesses_SeesOnlyItsOwn()
    {
        var result = await RunAsync("ls /proc | grep -E '^[0-9]+$' | wc -l; ps -e -o pid=,comm=");

        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        int.Parse(lines[0].Trim(), System.Globalization.CultureInfo.InvariantCulture).ShouldBeLessThan(10);
        result.Stdout.ShouldNotContain("dotnet");
        result.Stdout.ShouldNotContain("Shadow.Sidecar");
        lines.ShouldNotContain(l => l.Trim().StartsWith(fixture.Sidecar.ProcessId + " ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ForkBomb_EndsThatCommand_SidecarKeepsWorking()
    {
        Assert.SkipWhen(SandboxFixture.SkipReason is not null, SandboxFixture.SkipReason ?? string.Empty);
        var status = await GetAsync(Http, SidecarRoutes.Status, CommonJsonContext.Default.StatusResponse, Ct);
        // Never run a fork bomb where nothing would stop it (root without a cgroup v1 pids hierarchy).
        Assert.SkipWhen(status.Sandbox!.Contains("(none", StringComparison.Ordinal),
            $"the process limit is not enforced on this host ({status.Sandbox}); a fork bomb would take the machine down");
        var result = await RunAsync("bomb() { bomb | bomb & }; bomb; sleep 3", 60);

        // The limit ends it, not the timeout (a loaded machine may take a while to refuse every fork).
        result.TimedOut.ShouldBeFalse();
        (result.LimitExceeded == "processes" || result.Stderr.Contains("Resource temporarily unavailable", StringComparison.Ordinal))
            .ShouldBeTrue($"the process limit must have refused forks; stderr starts: {result.Stderr[..Math.Min(300, result.Stderr.Length)]}");
        await AssertSidecarHealthyAsync();
        var other = await ExecAsync(fixture.Other.CreateHttpClient(), new ExecRequest("echo other-alive"), Ct);
        other.Stdout.ShouldBe("other-alive\n");
    }

    [Fact]
    public async Task Allocate4Gb_FailsWithMemoryError()
    {
        var result = await RunAsync("python3 -c 'b = bytearray(4 * 1024 ** 3); print(\"allocated\")'");

        result.ExitCode.ShouldNotBe(0);
        result.Stdout.ShouldNotContain("allocated");
        result.Stderr.ShouldContain("MemoryError");
        await AssertSidecarHealthyAsync();
    }

    [Fact]
    public async Task CpuHog_IsEndedByCpuLimit()
    {
        var result = await RunAsync("while :; do :; done", 30);

        result.TimedOut.ShouldBeFalse();
        result.ExitCode.ShouldBe(152);
        result.LimitExceeded.ShouldBe("cpu");
    }

    [Fact]
    public async Task OutputFlood_IsEndedByOutputLimit()
    {
        var result = await RunAsync("yes flood", 20);

        result.TimedOut.ShouldBeFalse();
        result.LimitExceeded.ShouldBe("output");
        result.Stdout.Length.ShouldBeLessThanOrEqualTo((int)SandboxFixture.MaxOutputBytes);
    }

    [Fact]
    public async Task SymlinkToRootMadeByCommand_FileApiRefuses()
    {
        var made = await RunAsync("ln -sfn / rootlink && ln -sfn /etc/passwd passwdlink && echo made");
        made.Stdout.ShouldBe("made\n");

        foreach (var path in new[] { "rootlink/etc/passwd", "passwdlink", "rootlink" })
        {
            using var response = await Http.GetAsync($"{SidecarRoutes.Files.Read}?path={Uri.EscapeDataString(path)}", Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, body);
            response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
            body.ShouldNotContain("root:x:0:0");
        }
    }

    [Fact]
    public async Task EnvironmentDump_HoldsNoSecretAndNoHostVariable()
    {
        var result = await ExecAsync(Http, new ExecRequest("env; cat /proc/1/environ | tr '\\0' '\\n'",
            Env: new Dictionary<string, string> { ["TASK_SETTING"] = "configured" }), Ct);

        var dump = result.Stdout;
        dump.ShouldNotContain(fixture.Sidecar.Token);
        dump.ShouldNotContain(SandboxFixture.ProviderKey);
        dump.ShouldNotContain(SandboxFixture.CloudSecret);
        dump.ShouldNotContain("SHADOW_SIDECAR_TOKEN");
        dump.ShouldNotContain("DOTNET_");
        dump.ShouldContain("TASK_SETTING=configured");
        var names = dump.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains('=', StringComparison.Ordinal))
            .Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)]).ToHashSet();
        names.ShouldBeSubsetOf(["PATH", "HOME", "LANG", "TERM", "SHADOW_WORKSPACE", "PWD", "SHLVL", "_", "TASK_SETTING"]);
    }

    [Fact]
    public async Task OrdinaryWork_EditGitScriptAndOwnership_Succeed()
    {
        var result = await RunAsync("""
            set -e
            mkdir -p proj && cd proj
            printf 'def add(a, b):\n    return a - b\n' > calc.py
            sed -i 's/a - b/a + b/' calc.py
            printf 'from calc import add\nassert add(2, 3) == 5\nprint("tests passed")\n' > test_calc.py
            python3 test_calc.py
            git init -q . && git -c user.name=agent -c user.email=agent@example.com add -A
            git -c user.name=agent -c user.email=agent@example.com commit -qm 'add calc'
            git log --oneline | wc -l
            printf '#!/bin/sh\necho built > out.txt\n' > build.sh && chmod +x build.sh && ./build.sh && cat out.txt
            """, 60);

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stdout.ShouldContain("tests passed");
        result.Stdout.ShouldContain("built");
        var created = Path.Combine(fixture.Workspace, "proj", "out.txt");
        File.ReadAllText(created).ShouldBe("built\n");
        var owner = new FileInfo(created).UnixFileMode;
        owner.ShouldNotBe(UnixFileMode.None);
        StatUid(created).ShouldBe(StatUid(fixture.Workspace), "files a command creates belong to the sidecar's user");
    }

    [Fact]
    public async Task BackgroundServer_ReachableFromNextCommand_NotFromHost()
    {
        Assert.SkipWhen(SandboxFixture.SkipReason is not null, SandboxFixture.SkipReason ?? string.Empty);
        var port = 18000 + Random.Shared.Next(1000);
        await File.WriteAllTextAsync(Path.Combine(fixture.Workspace, "index.html"), "hello from the sandbox", Ct);
        using var started = await Http.PostAsJsonAsync(SidecarRoutes.Exec.Background,
            new BackgroundExecRequest($"exec python3 -m http.server {port} --bind 127.0.0.1"), SidecarJson.Options, Ct);
        started.StatusCode.ShouldBe(HttpStatusCode.OK);
        var id = (await started.Content.ReadFromJsonAsync(ExecJsonContext.Default.BackgroundExecStarted, Ct))!.Id;
        try
        {
            ExecResponse? fetched = null;
            await WaitUntilAsync(async () =>
            {
                fetched = await ExecAsync(Http, new ExecRequest(
                    $"exec 3<>/dev/tcp/127.0.0.1/{port} && printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3", TimeoutSeconds: 5), Ct);
                return fetched.Stdout.Contains("hello from the sandbox", StringComparison.Ordinal);
            }, TimeSpan.FromSeconds(15), "the background server to answer", Ct);

            using var host = new TcpClient();
            await Should.ThrowAsync<SocketException>(async () => await host.ConnectAsync(IPAddress.Loopback, port, Ct));
        }
        finally
        {
            using var kill = await Http.PostAsync(SidecarRoutes.Exec.BackgroundKill(id), null, Ct);
        }
    }

    [Fact]
    public async Task Timeout_EndsEverythingInTheSandbox()
    {
        var tick = $"tick-{Guid.NewGuid():N}";

        var result = await RunAsync($"(setsid sh -c 'while :; do echo x >> {tick}; sleep 0.02; done' &) ; sleep 300", 1);

        result.TimedOut.ShouldBeTrue();
        await AssertStopsGrowingAsync(Path.Combine(fixture.Workspace, tick), Ct);
    }

    [Fact]
    public async Task Status_ReportsTheSandbox()
    {
        Assert.SkipWhen(SandboxFixture.SkipReason is not null, SandboxFixture.SkipReason ?? string.Empty);

        var status = await GetAsync(Http, SidecarRoutes.Status, CommonJsonContext.Default.StatusResponse, Ct);

        status.Sandbox.ShouldNotBeNull().ShouldStartWith("bubblewrap, network off");
    }

    private static long StatUid(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%u", path]) { RedirectStandardOutput = true })!;
        var text = stat.StandardOutput.ReadToEnd();
        stat.WaitForExit();
        return long.Parse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
