using LibGit2Sharp;
using Shadow.Grains.Abstractions.Errors;
using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Abstractions.Terminals;
using Shadow.Grains.Abstractions.Workspaces;
using Shadow.Grains.Agent;
using Shadow.Grains.Runtime;
using Shadow.Sidecar.Contracts.Exec;
using Shadow.Sidecar.Contracts.Files;
using Shadow.Sidecar.Contracts.Terminal;
using Shadow.Sidecar.Contracts.Watch;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Grains.Tests.Tasks;

/// <summary>End to end through the grains: real silo, real local runtime (sidecar processes), real bare git remotes.</summary>
public sealed class TaskLifecycleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_OnBareRemote_RunsEveryInitStepAndPushesTheShadowBranch()
    {
        await using var shadow = await ShadowCluster.StartAsync();
        var remote = shadow.CreateRemote("repo", new Dictionary<string, string> { ["a.txt"] = "alpha\n", ["src/b.txt"] = "beta\n" });

        // Act
        var task = await shadow.CreateAndWaitAsync("t1", remote, "main");

        // Assert
        task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
        task.Branch.ShouldBe("shadow/task-t1");
        task.BaseBranch.ShouldBe("main");
        task.InitSteps.Select(s => s.Step).ShouldBe(Enum.GetValues<InitStepKind>());
        foreach (var step in task.InitSteps)
        {
            step.Status.ShouldBe(InitStepStatus.Succeeded);
            step.Attempts.ShouldBe(1);
            step.StartedAt.ShouldNotBeNull();
            step.EndedAt.ShouldNotBeNull();
            step.EndedAt!.Value.ShouldBeGreaterThanOrEqualTo(step.StartedAt!.Value);
        }

        using var bare = new Repository(remote);
        bare.Branches["shadow/task-t1"].ShouldNotBeNull().Tip.Sha.ShouldBe(bare.Branches["main"].Tip.Sha);
        // The prompt got its turn: the (quiet) agent answered and, having changed nothing, made no commit.
        var messages = await shadow.Task("t1").GetMessagesAsync(Ct);
        messages.Select(m => (m.Role, m.Content)).ShouldBe([(ChatRole.User, "do the thing"), (ChatRole.Assistant, "Nothing to do.")]);
        task.Checkpoints.ShouldNotBeNull().ShouldHaveSingleItem().Committed.ShouldBeFalse();
    }

    [Fact]
    public async Task Create_WithoutBaseBranch_UsesTheRemotesDefaultBranch()
    {
        await using var shadow = await ShadowCluster.StartAsync();
        var remote = shadow.CreateRemote("repo", branch: "trunk");

        var task = await shadow.CreateAndWaitAsync("t2", remote, baseBranch: null);

        task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
        task.BaseBranch.ShouldBe("trunk");
    }

    [Fact]
    public async Task ToolCalls_GoThroughTheWorkspaceGrainToItsSidecar_AndTheTerminalFollows()
    {
        await using var shadow = await ShadowCluster.StartAsync();
        var remote = shadow.CreateRemote("repo", new Dictionary<string, string> { ["a.txt"] = "alpha\n" });
        (await shadow.CreateAndWaitAsync("t3", remote, "main")).Status.ShouldBe(ShadowTaskStatus.Idle);
        var workspace = shadow.Client.GetGrain<IWorkspaceGrain>("t3");

        // Act
        (await workspace.ReadFileAsync("a.txt", cancellationToken: Ct)).Content.ShouldBe("alpha\n");
        await workspace.WriteFileAsync(new WriteFileRequest("notes/n.txt", "hello from the grain\n"), Ct);
        var exec = await workspace.ExecAsync(new ExecRequest("cat notes/n.txt; echo marker-$((6*7))"), Ct);
        var status = await workspace.GitStatusAsync(Ct);

        // Assert
        exec.ExitCode.ShouldBe(0);
        exec.Stdout.ShouldContain("hello from the grain");
        exec.Stdout.ShouldContain("marker-42");
        status.Files.ShouldContain(f => f.Path == "notes/n.txt");
        var terminal = shadow.Client.GetGrain<ITerminalGrain>("t3");
        var lines = await ReadTerminalUntilAsync(terminal, 0, e => e.Text.Contains("marker-42", StringComparison.Ordinal));
        lines.Select(e => e.Seq).ShouldBeInOrder(SortDirection.Ascending);
        lines[0].Seq.ShouldBe(1);

        // A reader that reconnects after seq k gets exactly the entries after k.
        var k = lines[0].Seq;
        var replay = await ReadTerminalUntilAsync(terminal, k, e => e.Text.Contains("marker-42", StringComparison.Ordinal));
        replay[0].Seq.ShouldBe(k + 1);
    }

    [Fact]
    public async Task TerminalGrainDeactivated_KeepsItsBufferAndFollowsOnWithoutRenumbering()
    {
        await using var shadow = await ShadowCluster.StartAsync();
        var remote = shadow.CreateRemote("repo");
        (await shadow.CreateAndWaitAsync("td", remote, "main")).Status.ShouldBe(ShadowTaskStatus.Idle);
        var workspace = shadow.Client.GetGrain<IWorkspaceGrain>("td");
        var terminal = shadow.Client.GetGrain<ITerminalGrain>("td");
        await workspace.ExecAsync(new ExecRequest("echo one-$((1+0))"), Ct);
        var before = await ReadTerminalUntilAsync(terminal, 0, e => e.Text.Contains("one-1", StringComparison.Ordinal));

        // Act: the grain goes away (as when it moves to another silo) and comes back on the next call.
        await shadow.Cluster.DeactivateAsync(terminal);
        await workspace.ExecAsync(new ExecRequest("echo two-$((1+1))"), Ct);
        var after = await ReadTerminalUntilAsync(terminal, 0, e => e.Text.Contains("two-2", StringComparison.Ordinal));

        // Assert
        after.Take(before.Count).Select(e => (e.Seq, e.Text)).ShouldBe(before.Select(e => (e.Seq, e.Text)));
        after.Select(e => e.Seq).ShouldBe(Enumerable.Range(1, after.Count).Select(i => (long)i));
        after.Count(e => e.Text.Contains("one-1", StringComparison.Ordinal)).ShouldBe(1);
    }

    [Fact]
    public async Task ToolCallsDuringInit_AreRefusedUntilTheWorkspaceIsActive_NeverServedMidClone()
    {
        await using var shadow = await ShadowCluster.StartAsync();
        var remote = shadow.CreateRemote("repo", GitRepos.SmallFiles(200).Append(new("a.txt", "alpha\n")).ToDictionary());
        var workspace = shadow.Client.GetGrain<IWorkspaceGrain>("ti");
        await shadow.Task("ti").CreateAsync(new CreateTaskCommand("alice", remote, "main", "go"), Ct);

        // Act: read as fast as possible from the moment the task exists.
        var refused = 0;
        ReadFileResponse? read = null;
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (read is null)
        {
            try
            {
                read = await workspace.ReadFileAsync("a.txt", cancellationToken: Ct);
            }
            catch (WorkspaceUnavailableException)
            {
                refused++;
                deadline.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(60));
            }
        }

        // Assert: every early call was refused as "not yet" (503), none answered from a half-made workspace (404, wrong content).
        refused.ShouldBeGreaterThan(0);
        read.Content.ShouldBe("alpha\n");
        (await shadow.WaitForInitAsync("ti")).Status.ShouldBe(ShadowTaskStatus.Idle);
    }

    [Fact]
    public async Task FileChanges_FlowToTheChangeFeed_ToEveryReader()
    {
        await using var shadow = await ShadowCluster.StartAsync();
        var remote = shadow.CreateRemote("repo", new Dictionary<string, string> { ["a.txt"] = "alpha\n" });
        (await shadow.CreateAndWaitAsync("tc", remote, "main")).Status.ShouldBe(ShadowTaskStatus.Idle);
        var workspace = shadow.Client.GetGrain<IWorkspaceGrain>("tc");
        var changes = shadow.Client.GetGrain<IChangeFeedGrain>("tc");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        // Two readers follow live before anything changes.
        var first = FirstChangeAsync(changes, e => e.Path == "fresh.txt", cts.Token);
        var second = FirstChangeAsync(changes, e => e.Path == "fresh.txt", cts.Token);

        // Act
        await workspace.WriteFileAsync(new WriteFileRequest("fresh.txt", "new\n"), Ct);
        await workspace.DeleteFileAsync(new DeleteFileRequest("a.txt"), Ct);

        // Assert
        (await first).Kind.ShouldBe(WatchEventKind.Created);
        (await second).Seq.ShouldBe((await first).Seq);
        // a.txt was created by the clone; its deletion follows.
        var deleted = await FirstChangeAsync(changes, e => e.Path == "a.txt" && e.Kind == WatchEventKind.Deleted, cts.Token);
        deleted.Seq.ShouldBeGreaterThan((await first).Seq);
        var history = await changes.GetHistoryAsync(0, 1000, Ct);
        history.Entries.Select(e => e.Seq).ShouldBeInOrder(SortDirection.Ascending);
        history.Entries.ShouldContain(e => e.Path == "fresh.txt");
    }

    private static async Task<WatchEvent> FirstChangeAsync(IChangeFeedGrain changes, Func<WatchEvent, bool> match, CancellationToken cancellationToken)
    {
        await foreach (var change in changes.FollowAsync(0).WithCancellation(cancellationToken))
        {
            if (match(change))
            {
                return change;
            }
        }

        throw new InvalidOperationException("The change feed ended without the expected event.");
    }

    [Fact]
    public async Task Create_RepositoryThatDoesNotExist_FailsAtCloneWithClearErrorAndLeavesNothingRunning()
    {
        await using var shadow = await ShadowCluster.StartAsync();
        var missing = shadow.Root.Combine("remotes", "nope.git");

        var task = await shadow.CreateAndWaitAsync("t4", missing, "main");

        task.Status.ShouldBe(ShadowTaskStatus.Failed);
        var clone = task.InitSteps.Single(s => s.Step == InitStepKind.CloneRepository);
        clone.Status.ShouldBe(InitStepStatus.Failed);
        clone.Error.ShouldNotBeNull().ShouldContain("does not exist");
        task.Error.ShouldNotBeNull().ShouldStartWith("CloneRepository failed:");
        task.InitSteps.Where(s => s.Step > InitStepKind.CloneRepository).ShouldAllBe(s => s.Status == InitStepStatus.Pending);
        var info = await shadow.Client.GetGrain<IWorkspaceGrain>("t4").GetInfoAsync(Ct);
        info.InstanceId.ShouldBeNull();
        SidecarProcesses.ShouldHaveNoneRunning(shadow);
    }

    [Fact]
    public async Task Create_BranchThatDoesNotExist_FailsAtCloneNamingTheBranch()
    {
        await using var shadow = await ShadowCluster.StartAsync();
        var remote = shadow.CreateRemote("repo");

        var task = await shadow.CreateAndWaitAsync("t5", remote, "no-such-branch");

        task.Status.ShouldBe(ShadowTaskStatus.Failed);
        task.InitSteps.Single(s => s.Step == InitStepKind.CloneRepository).Error.ShouldNotBeNull().ShouldContain("no-such-branch");
        SidecarProcesses.ShouldHaveNoneRunning(shadow);
    }

    [Fact]
    public async Task Create_RemoteWhoseHeadNamesAMissingBranch_FailsAtCloneSayingWhatToDo_AndRetryWorksOnceFixed()
    {
        await using var shadow = await ShadowCluster.StartAsync();
        var remote = shadow.CreateRemote("repo");
        using (var bare = new Repository(remote))
        {
            // Like `git init --bare` (HEAD -> master) followed by a push of main only.
            bare.Refs.UpdateTarget("HEAD", "refs/heads/master");
        }

        var task = await shadow.CreateAndWaitAsync("th", remote, baseBranch: null);

        task.Status.ShouldBe(ShadowTaskStatus.Failed);
        var clone = task.InitSteps.Single(s => s.Step == InitStepKind.CloneRepository);
        clone.Status.ShouldBe(InitStepStatus.Failed);
        clone.Error.ShouldNotBeNull().ShouldContain("has no commit");
        clone.Error.ShouldContain("baseBranch");
        SidecarProcesses.ShouldHaveNoneRunning(shadow);

        using (var bare = new Repository(remote))
        {
            bare.Refs.UpdateTarget("HEAD", "refs/heads/main");
        }

        await shadow.Task("th").RetryInitAsync(Ct);
        var retried = await shadow.WaitForInitAsync("th");
        retried.Status.ShouldBe(ShadowTaskStatus.Idle, retried.Error);
        retried.BaseBranch.ShouldBe("main");
    }

    [Fact]
    public async Task RetryInit_AfterTheRemoteAppears_ResumesFromTheFailedStep()
    {
        await using var shadow = await ShadowCluster.StartAsync();
        var path = shadow.Root.Combine("remotes", "later.git");
        (await shadow.CreateAndWaitAsync("t6", path, "main")).Status.ShouldBe(ShadowTaskStatus.Failed);
        shadow.CreateRemote("later");

        // Act
        await shadow.Task("t6").RetryInitAsync(Ct);
        var task = await shadow.WaitForInitAsync("t6");

        // Assert
        task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
        task.Error.ShouldBeNull();
        task.InitSteps.Where(s => s.Step < InitStepKind.CloneRepository).ShouldAllBe(s => s.Attempts == 1);
        task.InitSteps.Single(s => s.Step == InitStepKind.CloneRepository).Attempts.ShouldBe(2);
        await Should.ThrowAsync<TaskConflictException>(() => shadow.Task("t6").RetryInitAsync(Ct));
    }

    [Fact]
    public async Task SidecarKilled_NextCallRestoresTheWorkspace_KeepingItsFiles()
    {
        await using var shadow = await ShadowCluster.StartAsync();
        var remote = shadow.CreateRemote("repo");
        (await shadow.CreateAndWaitAsync("t7", remote, "main")).Status.ShouldBe(ShadowTaskStatus.Idle);
        var workspace = shadow.Client.GetGrain<IWorkspaceGrain>("t7");
        await workspace.WriteFileAsync(new WriteFileRequest("wip.txt", "not committed yet\n"), Ct);
        var before = await workspace.GetInfoAsync(Ct);
        SidecarProcesses.Kill(before.InstanceId!);

        // Act: the next call finds the sidecar dead and brings the workspace back.
        var read = await workspace.ReadFileAsync("wip.txt", cancellationToken: Ct);

        // Assert
        read.Content.ShouldBe("not committed yet\n");
        var after = await workspace.GetInfoAsync(Ct);
        after.Phase.ShouldBe(WorkspacePhase.Ready);
        after.ProvisionCount.ShouldBe(before.ProvisionCount + 1);
    }

    [Fact]
    public async Task SidecarKilledAndStorageLost_WorkspaceIsRestoredFromTheShadowBranch()
    {
        await using var shadow = await ShadowCluster.StartAsync();
        var remote = shadow.CreateRemote("repo", new Dictionary<string, string> { ["a.txt"] = "alpha\n" });
        (await shadow.CreateAndWaitAsync("t8", remote, "main")).Status.ShouldBe(ShadowTaskStatus.Idle);
        var workspace = shadow.Client.GetGrain<IWorkspaceGrain>("t8");
        // Put a commit on the shadow branch that the base branch does not have: made by a command, pushed from the host (a
        // sandboxed command sees no remote outside its workspace; pushing is the sidecar's job).
        var commit = await workspace.ExecAsync(new ExecRequest(
            "echo pushed > on-branch.txt && git add -A && git -c user.name=t -c user.email=t@t commit -qm branch-work"), Ct);
        commit.ExitCode.ShouldBe(0, commit.Stderr);
        var before = await workspace.GetInfoAsync(Ct);
        using (var push = System.Diagnostics.Process.Start("git", ["-C", Path.Combine(shadow.DataDir, "workspaces", before.InstanceId!), "push", "-q", "origin", "shadow/task-t8"]))
        {
            await push.WaitForExitAsync(Ct);
            push.ExitCode.ShouldBe(0);
        }

        SidecarProcesses.Kill(before.InstanceId!);
        Directory.Delete(Path.Combine(shadow.DataDir, "workspaces", before.InstanceId!), recursive: true);

        // Act
        var read = await workspace.ReadFileAsync("on-branch.txt", cancellationToken: Ct);

        // Assert
        read.Content.ShouldBe("pushed\n");
        var status = await workspace.GitStatusAsync(Ct);
        status.Branch.ShouldBe("shadow/task-t8");
        (await workspace.GetInfoAsync(Ct)).InstanceId.ShouldNotBe(before.InstanceId);
    }

    [Fact]
    public async Task Archive_DestroysTheWorkspace_AndLaterWorkspaceCallsConflict()
    {
        await using var shadow = await ShadowCluster.StartAsync();
        var remote = shadow.CreateRemote("repo");
        (await shadow.CreateAndWaitAsync("t9", remote, "main")).Status.ShouldBe(ShadowTaskStatus.Idle);
        var instance = (await shadow.Client.GetGrain<IWorkspaceGrain>("t9").GetInfoAsync(Ct)).InstanceId!;

        var archived = await shadow.Task("t9").ArchiveAsync(Ct);

        archived.Status.ShouldBe(ShadowTaskStatus.Archived);
        (await shadow.Task("t9").ArchiveAsync(Ct)).Status.ShouldBe(ShadowTaskStatus.Archived);
        await Should.ThrowAsync<TaskConflictException>(() => shadow.Client.GetGrain<IWorkspaceGrain>("t9").ReadFileAsync("README.md", cancellationToken: Ct));
        await Should.ThrowAsync<TaskConflictException>(() => shadow.Task("t9").PostMessageAsync("more", Ct));
        Directory.Exists(Path.Combine(shadow.DataDir, "workspaces", instance)).ShouldBeFalse();
        SidecarProcesses.ShouldHaveNoneRunning(shadow);
        using var bare = new Repository(remote);
        bare.Branches["shadow/task-t9"].ShouldNotBeNull();
    }

    [Fact]
    public async Task HostRestart_KeepsTaskMessagesAndTerminal_AndTheWorkspaceComesBackOnFirstUse()
    {
        await using var shadow = await ShadowCluster.StartAsync();
        var remote = shadow.CreateRemote("repo");
        (await shadow.CreateAndWaitAsync("t10", remote, "main")).Status.ShouldBe(ShadowTaskStatus.Idle);
        await shadow.Task("t10").PostMessageAsync("a follow-up", Ct);
        await shadow.WaitForInitAsync("t10");
        var workspace = shadow.Client.GetGrain<IWorkspaceGrain>("t10");
        await workspace.WriteFileAsync(new WriteFileRequest("kept.txt", "kept\n"), Ct);
        await workspace.ExecAsync(new ExecRequest("echo before-restart"), Ct);
        var terminal = shadow.Client.GetGrain<ITerminalGrain>("t10");
        await ReadTerminalUntilAsync(terminal, 0, e => e.Text.Contains("before-restart", StringComparison.Ordinal));
        await Task.Delay(1500, Ct); // let the feed's flush timer (1 s) write its state before the stop

        // Act
        await shadow.RestartAsync();

        // Assert
        var task = await shadow.Task("t10").GetAsync(Ct);
        task.Status.ShouldBe(ShadowTaskStatus.Idle);
        task.InitSteps.ShouldAllBe(s => s.Status == InitStepStatus.Succeeded);
        (await shadow.Task("t10").GetMessagesAsync(Ct)).Select(m => m.Content)
            .ShouldBe(["do the thing", "Nothing to do.", "a follow-up", ScriptedChatClient.ExhaustedText]);
        var history = await shadow.Client.GetGrain<ITerminalGrain>("t10").GetHistoryAsync(0, 1000, Ct);
        history.Entries.ShouldContain(e => e.Text.Contains("before-restart", StringComparison.Ordinal));
        var read = await shadow.Client.GetGrain<IWorkspaceGrain>("t10").ReadFileAsync("kept.txt", cancellationToken: Ct);
        read.Content.ShouldBe("kept\n");
    }

    [Fact]
    public async Task UnknownTask_ThrowsTaskNotFound()
    {
        await using var shadow = await ShadowCluster.StartAsync();

        await Should.ThrowAsync<TaskNotFoundException>(() => shadow.Task("nope").GetAsync(Ct));
        await Should.ThrowAsync<TaskNotFoundException>(() => shadow.Task("nope").GetMessagesAsync(Ct));
        await Should.ThrowAsync<WorkspaceUnavailableException>(() => shadow.Client.GetGrain<IWorkspaceGrain>("nope").ReadFileAsync("x", cancellationToken: Ct));
    }

    internal static async Task<List<TerminalEntry>> ReadTerminalUntilAsync(ITerminalGrain terminal, long since, Func<TerminalEntry, bool> until)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        var seen = new List<TerminalEntry>();
        await foreach (var entry in terminal.FollowAsync(since).WithCancellation(cts.Token))
        {
            seen.Add(entry);
            if (until(entry))
            {
                return seen;
            }
        }

        throw new TimeoutException($"The terminal never showed the expected entry; saw: {string.Join(" | ", seen.Select(e => e.Text))}");
    }
}
