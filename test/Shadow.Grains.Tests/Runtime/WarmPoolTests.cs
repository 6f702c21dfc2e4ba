using System.Diagnostics;
using System.Net;
using Shadow.Grains.Runtime;
using Shadow.Sidecar.Contracts;
using Shouldly;

namespace Shadow.Grains.Tests.Runtime;

/// <summary>The warm pool: filled at start, claimed by new workspaces, refilled after each claim, dead ones discarded.</summary>
public sealed class WarmPoolTests
{
    private static readonly TimeSpan FillLimit = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task WaitForWarmAsync(LocalRuntimeHarness harness, int count)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(FillLimit);
        try
        {
            await harness.Runtime.WaitForWarmCountAsync(count, timeout.Token);
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            throw new TimeoutException($"The warm pool did not reach {count} within {FillLimit}; it holds {harness.Runtime.WarmCount}. Log:\n"
                + string.Join('\n', harness.Logger.Messages));
        }
    }

    [Fact]
    public async Task ProvisionAsync_WarmSidecarReady_ClaimsItFastAndRefills()
    {
        await using var harness = LocalRuntimeHarness.Create(warmPoolSize: 1);
        await harness.Runtime.StartAsync(Ct);
        await WaitForWarmAsync(harness, 1);
        var (warmId, warmPid) = harness.Runtime.WarmInstances.ShouldHaveSingleItem();

        // Act
        var stopwatch = Stopwatch.StartNew();
        var handle = await harness.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("task-warm"), Ct);
        var claimMs = stopwatch.Elapsed.TotalMilliseconds;

        // Assert
        handle.InstanceId.ShouldBe(warmId);
        handle.Reattached.ShouldBeFalse();
        harness.Runtime.ProcessIdOf(handle.InstanceId).ShouldBe(warmPid);
        // No process start: the same process that was warm serves the workspace (the time is only printed; bench/gateway measures it).
        using (var http = LocalRuntimeHarness.Http(handle))
        {
            (await http.GetAsync(SidecarRoutes.Health, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        (await harness.Client(handle).StatusAsync(Ct)).Workspace.ShouldBe(harness.Runtime.WorkspacePath(warmId));
        Directory.EnumerateFileSystemEntries(harness.Runtime.WorkspacePath(warmId)).ShouldBeEmpty();
        File.Exists(Path.Combine(harness.Data.Path, "runtime", "warm", warmId)).ShouldBeFalse("a claimed instance is no longer throwaway");

        await WaitForWarmAsync(harness, 1);
        harness.Runtime.WarmInstances.ShouldHaveSingleItem().InstanceId.ShouldNotBe(warmId);
        TestContext.Current.TestOutputHelper?.WriteLine($"warm claim: {claimMs:0.00} ms");
    }

    [Fact]
    public async Task ProvisionAsync_WarmSidecarDied_DiscardsItAndNeverHandsItOut()
    {
        await using var harness = LocalRuntimeHarness.Create(warmPoolSize: 1);
        await harness.Runtime.StartAsync(Ct);
        await WaitForWarmAsync(harness, 1);
        var (deadId, deadPid) = harness.Runtime.WarmInstances.ShouldHaveSingleItem();

        // Act
        LocalRuntimeHarness.Kill(deadPid);
        (await LocalRuntimeHarness.WaitGoneAsync(deadPid, TimeSpan.FromSeconds(10), Ct)).ShouldBeTrue();
        var handle = await harness.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("task-after-death"), Ct);

        // Assert
        handle.InstanceId.ShouldNotBe(deadId);
        (await harness.Runtime.GetStatusAsync(handle, Ct)).State.ShouldBe(WorkspaceRuntimeState.Running);
        using (var http = LocalRuntimeHarness.Http(handle))
        {
            (await http.GetAsync(SidecarRoutes.Health, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        Directory.Exists(harness.Runtime.WorkspacePath(deadId)).ShouldBeFalse();
        Directory.Exists(harness.Runtime.StatePath(deadId)).ShouldBeFalse();
        File.Exists(Path.Combine(harness.Data.Path, "runtime", "warm", deadId)).ShouldBeFalse();
    }

    [Fact]
    public async Task DisposeAsync_WarmAndClaimedSidecars_EndsAllAndDeletesWarmFolders()
    {
        var harness = LocalRuntimeHarness.Create(warmPoolSize: 2);
        await using var cleanup = harness;
        await harness.Runtime.StartAsync(Ct);
        await WaitForWarmAsync(harness, 2);
        var claimed = await harness.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("task-claimed"), Ct);
        var warm = harness.Runtime.WarmInstances;
        List<int> pids = [harness.Runtime.ProcessIdOf(claimed.InstanceId)!.Value, .. warm.Select(w => w.ProcessId)];

        // Act
        await harness.Runtime.StopAsync(Ct);

        // Assert
        pids.ShouldAllBe(pid => !LocalRuntimeHarness.IsAlive(pid));
        warm.ShouldAllBe(w => !Directory.Exists(harness.Runtime.WorkspacePath(w.InstanceId)));
        Directory.Exists(harness.Runtime.WorkspacePath(claimed.InstanceId)).ShouldBeTrue("a handed-out workspace is storage, not pool");
        Directory.EnumerateFiles(Path.Combine(harness.Data.Path, "runtime", "warm")).ShouldBeEmpty();
        Directory.EnumerateFiles(Path.Combine(harness.Data.Path, "runtime", "children")).ShouldBeEmpty();
    }
}
