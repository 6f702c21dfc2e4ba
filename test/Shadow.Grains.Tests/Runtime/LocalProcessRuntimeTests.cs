using System.Net;
using System.Text;
using Shadow.Grains.Runtime;
using Shadow.Grains.Runtime.Local;
using Shadow.Sidecar.Contracts;
using Shouldly;

namespace Shadow.Grains.Tests.Runtime;

/// <summary><see cref="LocalProcessRuntime"/> with real sidecar processes, warm pool off.</summary>
public sealed class LocalProcessRuntimeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ProvisionAsync_NewWorkspace_SidecarAnswersHealthAndStatusWithItsToken()
    {
        await using var harness = LocalRuntimeHarness.Create();

        // Act
        var handle = await harness.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("task-1"), Ct);

        // Assert
        handle.Reattached.ShouldBeFalse();
        LocalProcessRuntime.IsInstanceId(handle.InstanceId).ShouldBeTrue(handle.InstanceId);
        handle.Token.Length.ShouldBe(64);
        handle.Token.ShouldAllBe(c => char.IsAsciiHexDigitLower(c));
        handle.BaseAddress.Host.ShouldBe("127.0.0.1");
        using (var anonymous = LocalRuntimeHarness.Http(handle, authenticated: false))
        {
            (await anonymous.GetAsync(SidecarRoutes.Health, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
            (await anonymous.GetAsync(SidecarRoutes.Status, Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        var status = await harness.Client(handle).StatusAsync(Ct);
        status.Workspace.ShouldBe(Path.Combine(harness.Data.Path, "workspaces", handle.InstanceId));
        Directory.Exists(Path.Combine(harness.Data.Path, "sidecar-state", handle.InstanceId)).ShouldBeTrue();
        (await harness.Runtime.GetStatusAsync(handle, Ct)).State.ShouldBe(WorkspaceRuntimeState.Running);
        harness.Logger.Messages.ShouldNotBeEmpty();
        harness.Logger.Messages.ShouldAllBe(m => !m.Contains(handle.Token));
    }

    [Fact]
    public async Task ProvisionAsync_Child_TokenOnlyInEnvironmentAndNoHostSecrets()
    {
        // Arrange: host settings and a provider key the child must not inherit (unique names: tests run in parallel).
        var suffix = Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        Environment.SetEnvironmentVariable($"Shadow__Agent__ApiKey_{suffix}", "sk-host-secret-" + suffix);
        Environment.SetEnvironmentVariable($"PROVIDER_API_KEY_{suffix}", "sk-provider-" + suffix);
        await using var harness = LocalRuntimeHarness.Create();
        try
        {
            // Act
            var handle = await harness.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("task-env"), Ct);

            // Assert
            var pid = harness.Runtime.ProcessIdOf(handle.InstanceId).ShouldNotBeNull();
            var cmdline = (await File.ReadAllTextAsync($"/proc/{pid}/cmdline", Ct)).Split('\0');
            cmdline.ShouldNotContain(a => a.Contains(handle.Token));
            cmdline.ShouldContain("--parent-pid");
            cmdline.ShouldContain(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            cmdline.ShouldContain("http://127.0.0.1:0");
            // The sandbox in effect is passed on explicitly (Bubblewrap when bwrap is installed, as in CI).
            var sandbox = cmdline[Array.IndexOf(cmdline, "--sandbox") + 1];
            sandbox.ShouldBe(harness.Runtime.Sandbox);
            sandbox.ShouldBe(File.Exists("/usr/bin/bwrap") ? "Bubblewrap" : "None");
            cmdline[Array.IndexOf(cmdline, "--sandbox-network") + 1].ShouldBe("Off");
            var environ = (await File.ReadAllTextAsync($"/proc/{pid}/environ", Ct)).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            environ.ShouldContain($"SHADOW_SIDECAR_TOKEN={handle.Token}");
            environ.ShouldContain(v => v.StartsWith("PATH=", StringComparison.Ordinal));
            environ.ShouldNotContain(v => v.Contains(suffix));
            environ.ShouldNotContain(v => v.StartsWith("Shadow__", StringComparison.Ordinal));
        }
        finally
        {
            Environment.SetEnvironmentVariable($"Shadow__Agent__ApiKey_{suffix}", null);
            Environment.SetEnvironmentVariable($"PROVIDER_API_KEY_{suffix}", null);
        }
    }

    [Fact]
    public async Task GetStatusAsync_ChildKilled_ExitedWithCodeAndLastOutput()
    {
        await using var harness = LocalRuntimeHarness.Create();
        var handle = await harness.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("task-kill"), Ct);
        var pid = harness.Runtime.ProcessIdOf(handle.InstanceId).ShouldNotBeNull();

        // Act
        LocalRuntimeHarness.Kill(pid);
        (await LocalRuntimeHarness.WaitGoneAsync(pid, TimeSpan.FromSeconds(10), Ct)).ShouldBeTrue();
        var status = await harness.Runtime.GetStatusAsync(handle, Ct);

        // Assert
        status.State.ShouldBe(WorkspaceRuntimeState.Exited);
        status.Detail.ShouldNotBeNull();
        status.Detail.ShouldContain("code 137 (signal 9)");
        status.Detail.ShouldContain("SHADOW_SIDECAR_LISTENING");
        status.Detail.ShouldNotContain(handle.Token);
    }

    [Fact]
    public async Task ProvisionAsync_PreviousInstanceWhoseSidecarDied_ReattachesSameFolderKeepingFiles()
    {
        await using var harness = LocalRuntimeHarness.Create();
        var first = await harness.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("task-re"), Ct);
        await harness.Client(first).WriteFileAsync("notes/kept.txt", "written before the crash\n", cancellationToken: Ct);
        var pid = harness.Runtime.ProcessIdOf(first.InstanceId).ShouldNotBeNull();
        LocalRuntimeHarness.Kill(pid);
        (await LocalRuntimeHarness.WaitGoneAsync(pid, TimeSpan.FromSeconds(10), Ct)).ShouldBeTrue();

        // Act
        var second = await harness.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("task-re", first.InstanceId), Ct);

        // Assert
        second.Reattached.ShouldBeTrue();
        second.InstanceId.ShouldBe(first.InstanceId);
        second.Token.ShouldNotBe(first.Token);
        harness.Runtime.ProcessIdOf(second.InstanceId).ShouldNotBe(pid);
        var read = await harness.Client(second).ReadFileAsync("notes/kept.txt", cancellationToken: Ct);
        read.Content.ShouldBe("written before the crash\n");
        (await harness.Runtime.GetStatusAsync(second, Ct)).State.ShouldBe(WorkspaceRuntimeState.Running);
    }

    [Fact]
    public async Task ProvisionAsync_PreviousInstanceStillRunning_AnswersTheSameSidecar()
    {
        await using var harness = LocalRuntimeHarness.Create();
        var first = await harness.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("task-same"), Ct);

        // Act
        var again = await harness.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("task-same", first.InstanceId), Ct);

        // Assert
        again.ShouldBe(first with { Reattached = true });
    }

    [Theory]
    [InlineData("gone00000000")]
    [InlineData("../../etc")]
    [InlineData("pod-shadow-task-1")]
    public async Task ProvisionAsync_PreviousInstanceGoneOrForeign_StartsANewEmptyWorkspace(string previous)
    {
        await using var harness = LocalRuntimeHarness.Create();

        // Act
        var handle = await harness.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("task-new", previous), Ct);

        // Assert
        handle.Reattached.ShouldBeFalse();
        handle.InstanceId.ShouldNotBe(previous);
        Directory.EnumerateFileSystemEntries(harness.Runtime.WorkspacePath(handle.InstanceId)).ShouldBeEmpty();
    }

    [Fact]
    public async Task DeleteAsync_WithStorage_EndsProcessAndRemovesBothFolders()
    {
        await using var harness = LocalRuntimeHarness.Create();
        var handle = await harness.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("task-del"), Ct);
        await harness.Client(handle).WriteFileAsync("a.txt", "x", cancellationToken: Ct);
        var pid = harness.Runtime.ProcessIdOf(handle.InstanceId).ShouldNotBeNull();

        // Act
        await harness.Runtime.DeleteAsync(handle, deleteStorage: true, Ct);

        // Assert
        LocalRuntimeHarness.IsAlive(pid).ShouldBeFalse();
        Directory.Exists(harness.Runtime.WorkspacePath(handle.InstanceId)).ShouldBeFalse();
        Directory.Exists(harness.Runtime.StatePath(handle.InstanceId)).ShouldBeFalse();
        (await harness.Runtime.GetStatusAsync(handle, Ct)).State.ShouldBe(WorkspaceRuntimeState.NotFound);
        Directory.EnumerateFiles(Path.Combine(harness.Data.Path, "runtime", "children")).ShouldBeEmpty();
        await harness.Runtime.DeleteAsync(handle, deleteStorage: true, Ct);
    }

    [Fact]
    public async Task DeleteAsync_KeepingStorage_EndsProcessGracefullyAndKeepsFolders()
    {
        await using var harness = LocalRuntimeHarness.Create();
        var handle = await harness.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("task-keep"), Ct);
        await harness.Client(handle).WriteFileAsync("a.txt", "kept", cancellationToken: Ct);
        var pid = harness.Runtime.ProcessIdOf(handle.InstanceId).ShouldNotBeNull();

        // Act
        await harness.Runtime.DeleteAsync(handle, deleteStorage: false, Ct);

        // Assert
        LocalRuntimeHarness.IsAlive(pid).ShouldBeFalse();
        (await File.ReadAllTextAsync(Path.Combine(harness.Runtime.WorkspacePath(handle.InstanceId), "a.txt"), Ct)).ShouldBe("kept");
        (await harness.Runtime.GetStatusAsync(handle, Ct)).State.ShouldBe(WorkspaceRuntimeState.NotFound);
    }

    [Fact]
    public async Task DeleteAsync_UnknownInstance_CountsAsDoneAndStillRemovesItsFolders()
    {
        await using var harness = LocalRuntimeHarness.Create();
        var instanceId = LocalProcessRuntime.NewInstanceId();
        Directory.CreateDirectory(harness.Runtime.WorkspacePath(instanceId));
        var handle = new WorkspaceHandle(instanceId, new Uri("http://127.0.0.1:1/"), "unused-token", Reattached: false);

        // Act
        await harness.Runtime.DeleteAsync(handle, deleteStorage: true, Ct);
        await harness.Runtime.DeleteAsync(handle with { InstanceId = "../outside" }, deleteStorage: true, Ct);

        // Assert
        Directory.Exists(harness.Runtime.WorkspacePath(instanceId)).ShouldBeFalse();
        (await harness.Runtime.GetStatusAsync(handle, Ct)).State.ShouldBe(WorkspaceRuntimeState.NotFound);
    }

    [Fact]
    public async Task DisposeAsync_RunningChildren_EndsEveryOneAndRefusesNewWork()
    {
        var harness = LocalRuntimeHarness.Create();
        await using var cleanup = harness;
        var a = await harness.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("task-a"), Ct);
        var b = await harness.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("task-b"), Ct);
        int[] pids = [harness.Runtime.ProcessIdOf(a.InstanceId)!.Value, harness.Runtime.ProcessIdOf(b.InstanceId)!.Value];

        // Act
        await harness.Runtime.DisposeAsync();

        // Assert
        pids.ShouldAllBe(pid => !LocalRuntimeHarness.IsAlive(pid));
        Directory.EnumerateFiles(Path.Combine(harness.Data.Path, "runtime", "children")).ShouldBeEmpty();
        await Should.ThrowAsync<ObjectDisposedException>(() => harness.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("task-c"), Ct));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task ProvisionAsync_SidecarThatCannotStart_ThrowsWithItsOutputAndLeavesNothing()
    {
        // Arrange: a "sidecar" that writes a line and fails.
        await using var harness = LocalRuntimeHarness.Create();
        var script = harness.Data.Combine("fake-sidecar");
        await File.WriteAllTextAsync(script, "#!/bin/sh\necho \"fake sidecar refuses: $SHADOW_SIDECAR_TOKEN\" >&2\nexit 3\n", Encoding.ASCII, Ct);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var options = new LocalRuntimeOptions { SidecarPath = script, WarmPoolSize = 0 };
        await using var runtime = new LocalProcessRuntime(Microsoft.Extensions.Options.Options.Create(options),
            Microsoft.Extensions.Options.Options.Create(new Hosting.ShadowOptions { DataDir = harness.Data.Combine("data") }),
            TimeProvider.System, harness.Logger);

        // Act
        var error = await Should.ThrowAsync<Abstractions.Errors.WorkspaceUnavailableException>(
            () => runtime.ProvisionAsync(new WorkspaceProvisionRequest("task-bad"), Ct));

        // Assert
        error.TaskId.ShouldBe("task-bad");
        error.Message.ShouldContain("exited before it listened");
        error.Message.ShouldContain("fake sidecar refuses: [token]");
        Directory.EnumerateFileSystemEntries(harness.Data.Combine("data", "workspaces")).ShouldBeEmpty();
    }
}
