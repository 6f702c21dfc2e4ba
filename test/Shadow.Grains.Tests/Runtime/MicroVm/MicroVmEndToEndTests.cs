using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using LibGit2Sharp;
using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Abstractions.Terminals;
using Shadow.Grains.Abstractions.Workspaces;
using Shadow.Grains.Runtime.MicroVm;
using Shadow.Grains.Workspaces;
using Shadow.Sidecar.Contracts.Exec;
using Shadow.Sidecar.Contracts.Files;
using Shouldly;

namespace Shadow.Grains.Tests.Runtime.MicroVm;

/// <summary>Tasks whose workspaces run in microVMs (QEMU, TCG), end to end through the grains and the in-guest sidecar.</summary>
[Collection(MicroVmCollection.Name)]
public sealed class MicroVmEndToEndTests(MicroVmClusterFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Task_OnMicroVm_RunsToolsInTheGuestAndPushesTheShadowBranch()
    {
        fixture.SkipUnlessAvailable();
        var shadow = fixture.Shadow;
        var remote = shadow.CreateRemote("vm-e2e", new Dictionary<string, string> { ["README.md"] = "# in a VM\n" });

        // Act
        var task = await shadow.CreateAndWaitAsync("vm1", remote, "main");

        // Assert
        task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
        var workspace = shadow.Client.GetGrain<IWorkspaceGrain>("vm1");
        var info = await workspace.GetInfoAsync(Ct);
        info.RuntimeKind.ShouldBe("MicroVm");
        var start = fixture.Runtime.StartInfoOf(info.InstanceId!).ShouldNotBeNull();
        start.FromSnapshot.ShouldBeTrue("new workspaces resume from the saved state");
        (await workspace.ReadFileAsync("README.md", null, null, Ct)).Content.ShouldContain("# in a VM");

        // The tools run inside the guest: its own kernel and hostname, not the host's.
        var uname = await workspace.ExecAsync(new ExecRequest("uname -n; cat /proc/version"), Ct);
        uname.ExitCode.ShouldBe(0, uname.Stderr);
        uname.Stdout.ShouldStartWith("shadow-vm\n");
        uname.Stdout.ShouldNotContain(File.ReadAllText("/proc/version").Trim());
        // The clock was handed over after the resume (the saved state's clock is from when it was saved).
        var date = await workspace.ExecAsync(new ExecRequest("date +%s"), Ct);
        long.Parse(date.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture)
            .ShouldBeInRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 120, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 120);

        await workspace.WriteFileAsync(new WriteFileRequest("src/vm.txt", "written in the guest\n"), Ct);
        var commit = (await shadow.Client.GetGrain<IWorkspaceLifecycleGrain>("vm1").CommitTurnAsync("From the microVM", Ct)).ShouldNotBeNull();
        using var bare = new Repository(remote);
        bare.Branches["shadow/task-vm1"].Tip.Sha.ShouldBe(commit.Sha);
        bare.Branches["shadow/task-vm1"].Tip["src/vm.txt"].ShouldNotBeNull();
        bare.Branches["shadow/task-vm1"].Tip.Message.ShouldBe("From the microVM\n");
        fixture.Runtime.ResidentBytesOf(info.InstanceId!).ShouldNotBeNull().ShouldBeGreaterThan(10L * 1024 * 1024);
    }

    [Fact]
    public async Task VmKilled_WorkspaceIsRecreatedFromTheShadowBranch()
    {
        fixture.SkipUnlessAvailable();
        var shadow = fixture.Shadow;
        var remote = shadow.CreateRemote("vm-kill");
        (await shadow.CreateAndWaitAsync("vm2", remote, "main")).Status.ShouldBe(ShadowTaskStatus.Idle);
        var workspace = shadow.Client.GetGrain<IWorkspaceGrain>("vm2");
        await workspace.WriteFileAsync(new WriteFileRequest("kept.txt", "pushed before the crash\n"), Ct);
        await shadow.Client.GetGrain<IWorkspaceLifecycleGrain>("vm2").CommitTurnAsync("keep", Ct);
        var before = (await workspace.GetInfoAsync(Ct)).InstanceId!;
        var pid = fixture.Runtime.ProcessIdOf(before).ShouldNotBeNull();

        // Act: the VMM process dies like a crash.
        Process.GetProcessById(pid).Kill();

        // Assert: the next call brings the workspace back in a new VM, from the shadow branch.
        var read = await ReadEventuallyAsync(workspace, "kept.txt");
        read.ShouldContain("pushed before the crash");
        var after = await workspace.GetInfoAsync(Ct);
        after.InstanceId.ShouldNotBe(before);
        after.ProvisionCount.ShouldBe(2);
        fixture.Runtime.ProcessIdOf(before).ShouldBeNull();
    }

    [Fact]
    public async Task Console_IsCapturedAndTheEmergencyChannelRunsCommands()
    {
        fixture.SkipUnlessAvailable();
        var shadow = fixture.Shadow;
        (await shadow.CreateAndWaitAsync("vm3", shadow.CreateRemote("vm-console"), "main")).Status.ShouldBe(ShadowTaskStatus.Idle);
        var instance = (await shadow.Client.GetGrain<IWorkspaceGrain>("vm3").GetInfoAsync(Ct)).InstanceId!;

        // Act
        var result = await fixture.Runtime.ExecOnConsoleAsync(instance, "echo from-the-console; ls /opt/shadow; exit 3", TimeSpan.FromSeconds(30), Ct);

        // Assert
        result.ExitCode.ShouldBe(3);
        result.Output.ShouldContain("from-the-console\n");
        result.Output.ShouldContain("Shadow.Sidecar");
        result.Output.ShouldNotContain("SHADOW-BEGIN");
        var console = fixture.Runtime.ReadConsole(instance);
        console.ShouldContain("Bearer token received");
        console.ShouldNotContain((await shadow.Client.GetGrain<IWorkspaceLifecycleGrain>("vm3").GetConnectionAsync(Ct))!.Token);
        await Should.ThrowAsync<ArgumentException>(() => fixture.Runtime.ExecOnConsoleAsync(instance, "echo a\necho b", TimeSpan.FromSeconds(5), Ct));
        // The guest's kernel log reaches the task's terminal stream (through the sidecar's terminal buffer).
        var terminal = shadow.Client.GetGrain<ITerminalGrain>("vm3");
        var stopwatch = Stopwatch.StartNew();
        var lines = new List<string>();
        while (!lines.Any(l => l.Contains("[vm console] shadow-init: guest ready", StringComparison.Ordinal)) && stopwatch.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(250, Ct);
            lines = [.. (await terminal.GetHistoryAsync(0, 1000, Ct)).Entries.Select(e => e.Text)];
        }

        var connection = (await shadow.Client.GetGrain<IWorkspaceLifecycleGrain>("vm3").GetConnectionAsync(Ct))!;
        using var direct = new HttpClient { BaseAddress = connection.BaseAddress };
        direct.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", connection.Token);
        var sidecarSide = await direct.GetStringAsync("terminal/history?since=0", Ct);
        lines.ShouldContain(l => l.Contains("[vm console] shadow-init: guest ready", StringComparison.Ordinal),
            $"grain terminal: {string.Join('\n', lines.Take(20))}\nsidecar terminal: {sidecarSide[..Math.Min(2000, sidecarSide.Length)]}");
        lines.ShouldContain(l => l.Contains("[vm console] Linux version", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Guest_CannotReachAHostPort()
    {
        fixture.SkipUnlessAvailable();
        var shadow = fixture.Shadow;
        (await shadow.CreateAndWaitAsync("vm4", shadow.CreateRemote("vm-net"), "main")).Status.ShouldBe(ShadowTaskStatus.Idle);
        var workspace = shadow.Client.GetGrain<IWorkspaceGrain>("vm4");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = listener.AcceptTcpClientAsync(Ct).AsTask();

        // Act: 10.0.2.2 is the host's loopback in user-mode networking; restrict=on must drop it (and every other address).
        var result = await workspace.ExecAsync(new ExecRequest($"nc -w 3 10.0.2.2 {port} </dev/null; echo rc=$?; nc -w 3 10.0.2.3 53 </dev/null; echo dns=$?"), Ct);

        // Assert
        result.Stdout.ShouldNotContain("rc=0");
        result.Stdout.ShouldNotContain("dns=0");
        (await Task.WhenAny(accepted, Task.Delay(500, Ct))).ShouldNotBe(accepted, "the host listener must see no connection from the guest");
    }

    private static async Task<string> ReadEventuallyAsync(IWorkspaceGrain workspace, string path)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return (await workspace.ReadFileAsync(path, null, null, Ct)).Content;
            }
            catch (Exception e) when (e is Shadow.Grains.Abstractions.Errors.WorkspaceUnavailableException && stopwatch.Elapsed < TimeSpan.FromSeconds(90))
            {
                await Task.Delay(200, Ct);
            }
        }
    }
}
