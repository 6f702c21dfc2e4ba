using LibGit2Sharp;
using Microsoft.Extensions.Time.Testing;
using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Abstractions.Terminals;
using Shadow.Grains.Abstractions.Workspaces;
using Shadow.Grains.Tests.Tasks;
using Shadow.Grains.Workspaces;
using Shadow.Sidecar.Contracts.Exec;
using Shadow.Sidecar.Contracts.Files;
using Shouldly;

namespace Shadow.Grains.Tests.Workspaces;

/// <summary>
/// The workspace's clock-driven behaviour (idle reminder, health timer) end to end: real silo, real sidecars, real bare
/// remotes, and a <see cref="FakeTimeProvider"/> for the grains' clock, timers and reminders. Time is advanced, never slept;
/// the tests then await observable state (or the reminder tick itself) with a bounded real-time deadline.
/// </summary>
public sealed class WorkspaceTimeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(1);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Idle tests: the health timer stays out of the way (far longer than any advance).</summary>
    private static Dictionary<string, string?> IdleSettings => new()
    {
        ["Shadow:Workspace:IdleTimeout"] = IdleTimeout.ToString(),
        ["Shadow:Workspace:HealthInterval"] = "00:30:00",
    };

    [Fact]
    public async Task IdleReminder_WorkspaceUnusedPastIdleTimeout_SavesWorkToTheShadowBranchAndReclaims_NextCallRestoresIt()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 9, 0, 0, TimeSpan.Zero));
        await using var shadow = await ShadowCluster.StartAsync(IdleSettings, time);
        var remote = shadow.CreateRemote("repo", new Dictionary<string, string> { ["a.txt"] = "alpha\n" });
        (await shadow.CreateAndWaitAsync("idle1", remote, "main")).Status.ShouldBe(ShadowTaskStatus.Idle);
        var workspace = shadow.Client.GetGrain<IWorkspaceGrain>("idle1");
        await workspace.WriteFileAsync(new WriteFileRequest("wip/notes.txt", "not committed yet\n"), Ct);
        var before = await workspace.GetInfoAsync(Ct);
        before.Phase.ShouldBe(WorkspacePhase.Ready);
        SidecarProcesses.Of(before.InstanceId!).ShouldNotBeEmpty();

        // Act: past the idle timeout and the reminder's period (max(1 min, IdleTimeout / 4) = 1 min).
        time.Advance(IdleTimeout + TimeSpan.FromSeconds(1));
        await shadow.ReminderTicks.WaitForAsync(workspace.GetGrainId(), WorkspaceGrain.IdleReminderName, 1, Deadline, Ct);

        // Assert: reclaimed, nothing running, the work committed and pushed.
        var reclaimed = await WaitForInfoAsync(workspace, i => i.Phase == WorkspacePhase.Reclaimed);
        reclaimed.InstanceId.ShouldBeNull();
        SidecarProcesses.Of(before.InstanceId!).ShouldBeEmpty();
        SidecarProcesses.ShouldHaveNoneRunning(shadow);
        Directory.Exists(Path.Combine(shadow.DataDir, "workspaces", before.InstanceId!)).ShouldBeFalse();
        using (var bare = new Repository(remote))
        {
            var tip = bare.Branches["shadow/task-idle1"].ShouldNotBeNull().Tip;
            tip.ShouldNotBe(bare.Branches["main"].Tip);
            tip.Tree["wip/notes.txt"].ShouldNotBeNull().Target.ShouldBeOfType<Blob>().GetContentText().ShouldBe("not committed yet\n");
            tip.MessageShort.ShouldContain("idle workspace is reclaimed");
            reclaimed.HeadSha.ShouldBe(tip.Sha);
        }

        // Act: the next tool call brings it back from the shadow branch.
        var read = await workspace.ReadFileAsync("wip/notes.txt", cancellationToken: Ct);

        // Assert
        read.Content.ShouldBe("not committed yet\n");
        var after = await workspace.GetInfoAsync(Ct);
        after.Phase.ShouldBe(WorkspacePhase.Ready);
        after.ProvisionCount.ShouldBe(before.ProvisionCount + 1);
        after.InstanceId.ShouldNotBeNull().ShouldNotBe(before.InstanceId);
        SidecarProcesses.Of(after.InstanceId!).ShouldNotBeEmpty();
        (await workspace.GitStatusAsync(Ct)).Branch.ShouldBe("shadow/task-idle1");
    }

    [Fact]
    public async Task IdleReminder_WorkspaceUsedWithinIdleTimeout_IsNotReclaimedWhenItFires_ButIsOnceIdleLongEnough()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 9, 0, 0, TimeSpan.Zero));
        await using var shadow = await ShadowCluster.StartAsync(IdleSettings, time);
        var remote = shadow.CreateRemote("repo");
        (await shadow.CreateAndWaitAsync("idle2", remote, "main")).Status.ShouldBe(ShadowTaskStatus.Idle);
        var workspace = shadow.Client.GetGrain<IWorkspaceGrain>("idle2");
        var reminder = workspace.GetGrainId();
        var before = await workspace.GetInfoAsync(Ct);

        // Act: used 40 s in, then the reminder fires at 1 min (the workspace idle for only 21 s).
        time.Advance(TimeSpan.FromSeconds(40));
        await workspace.WriteFileAsync(new WriteFileRequest("recent.txt", "used recently\n"), Ct);
        time.Advance(TimeSpan.FromSeconds(21));
        await shadow.ReminderTicks.WaitForAsync(reminder, WorkspaceGrain.IdleReminderName, 1, Deadline, Ct);

        // Assert: the tick was handled and changed nothing.
        var kept = await workspace.GetInfoAsync(Ct);
        kept.Phase.ShouldBe(WorkspacePhase.Ready);
        kept.InstanceId.ShouldBe(before.InstanceId);
        kept.ProvisionCount.ShouldBe(before.ProvisionCount);
        SidecarProcesses.Of(before.InstanceId!).ShouldNotBeEmpty();
        (await workspace.ReadFileAsync("recent.txt", cancellationToken: Ct)).Content.ShouldBe("used recently\n");

        // The read above was a use too (at 1:01): the next tick, at 2:00, is 59 s later and keeps it; the one at 3:00 reclaims.
        time.Advance(TimeSpan.FromSeconds(59));
        await shadow.ReminderTicks.WaitForAsync(reminder, WorkspaceGrain.IdleReminderName, 2, Deadline, Ct);
        (await workspace.GetInfoAsync(Ct)).Phase.ShouldBe(WorkspacePhase.Ready);
        time.Advance(TimeSpan.FromMinutes(1));
        await shadow.ReminderTicks.WaitForAsync(reminder, WorkspaceGrain.IdleReminderName, 3, Deadline, Ct);
        (await WaitForInfoAsync(workspace, i => i.Phase == WorkspacePhase.Reclaimed)).InstanceId.ShouldBeNull();
        SidecarProcesses.Of(before.InstanceId!).ShouldBeEmpty();
    }

    [Fact]
    public async Task HealthTimer_SidecarKilled_RestoresTheWorkspaceWithoutAnyCall_AndTheTerminalFollowsTheNewSidecar()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 9, 0, 0, TimeSpan.Zero));
        var healthInterval = TimeSpan.FromSeconds(5);
        await using var shadow = await ShadowCluster.StartAsync(new Dictionary<string, string?> { ["Shadow:Workspace:HealthInterval"] = healthInterval.ToString() }, time);
        var remote = shadow.CreateRemote("repo");
        (await shadow.CreateAndWaitAsync("health1", remote, "main")).Status.ShouldBe(ShadowTaskStatus.Idle);
        var workspace = shadow.Client.GetGrain<IWorkspaceGrain>("health1");
        var terminal = shadow.Client.GetGrain<ITerminalGrain>("health1");
        (await workspace.ExecAsync(new ExecRequest("echo before-$((40+2))"), Ct)).ExitCode.ShouldBe(0);
        var earlier = await TaskLifecycleTests.ReadTerminalUntilAsync(terminal, 0, e => e.Text.Contains("before-42", StringComparison.Ordinal));
        var lastSeqBefore = earlier[^1].Seq;
        var before = await workspace.GetInfoAsync(Ct);
        var killed = SidecarProcesses.Kill(before.InstanceId!);
        killed.ShouldNotBeEmpty();

        // Act: no tool call; only the health timer's next tick.
        time.Advance(healthInterval);
        var after = await WaitForInfoAsync(workspace, i => i.Phase == WorkspacePhase.Ready && i.ProvisionCount == before.ProvisionCount + 1);

        // Assert: a new sidecar process serves the workspace.
        var pids = SidecarProcesses.Of(after.InstanceId!);
        pids.ShouldNotBeEmpty();
        pids.ShouldNotContain(p => killed.Contains(p));

        // The terminal follows the new sidecar and keeps numbering after the earlier entries.
        (await workspace.ExecAsync(new ExecRequest("echo after-$((50+5))"), Ct)).ExitCode.ShouldBe(0);
        var later = await TaskLifecycleTests.ReadTerminalUntilAsync(terminal, lastSeqBefore, e => e.Text.Contains("after-55", StringComparison.Ordinal));
        later.ShouldAllBe(e => e.Seq > lastSeqBefore);
        var history = await terminal.GetHistoryAsync(0, 10_000, Ct);
        var seqs = history.Entries.Select(e => e.Seq).ToList();
        seqs.ShouldBeInOrder(SortDirection.Ascending);
        seqs.Distinct().Count().ShouldBe(seqs.Count);
        seqs[0].ShouldBe(1);
        seqs.Count(s => s == 1).ShouldBe(1);
        history.Entries.Single(e => e.Text.Contains("before-42", StringComparison.Ordinal)).Seq
            .ShouldBeLessThan(history.Entries.Single(e => e.Text.Contains("after-55", StringComparison.Ordinal)).Seq);
    }

    /// <summary>Polls the workspace's info (it answers during a restore: the grain is reentrant) until it matches, bounded in real time.</summary>
    private static async Task<WorkspaceInfo> WaitForInfoAsync(IWorkspaceGrain workspace, Func<WorkspaceInfo, bool> until)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var info = await workspace.GetInfoAsync(Ct);
            if (until(info))
            {
                return info;
            }

            if (watch.Elapsed > Deadline)
            {
                throw new TimeoutException($"The workspace did not reach the expected state within {Deadline}: phase {info.Phase}, instance {info.InstanceId}, provisions {info.ProvisionCount}, error {info.Error}");
            }

            await Task.Delay(20, Ct);
        }
    }
}
