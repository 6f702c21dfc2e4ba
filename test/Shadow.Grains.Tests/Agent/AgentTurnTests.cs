using LibGit2Sharp;
using Shadow.Grains.Abstractions.Errors;
using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Abstractions.Terminals;
using Shadow.Grains.Abstractions.Users;
using Shadow.Grains.Agent;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Grains.Tests.Agent;

/// <summary>
/// The agent end to end: a real silo, real sidecars, bare git remotes, and a model server of our own speaking the OpenAI
/// protocol over loopback HTTP (or the scripted client).
/// </summary>
public sealed class AgentTurnTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Turn_ToolCallChangesAFile_CommitIsPushedWithTheModelsMessage_AndEverythingIsRecorded()
    {
        await using var model = await ModelServer.StartAsync(Ct);
        model.Responder = r => Task.FromResult<ModelReply>(
            r.IsCommitMessage ? new ModelReply.Text("Add a greeting file")
            : r.AssistantCount == 0 ? ModelReply.Call("call_1", "edit_file", new { path = "greeting.txt", content = "hello\n" })
            : new ModelReply.Text("I added greeting.txt."));
        await using var shadow = await ShadowCluster.StartAsync(model.Settings());
        var remote = shadow.CreateRemote("repo");
        var events = shadow.Client.GetGrain<ITaskEventsGrain>("a1");

        // Act
        var task = await shadow.CreateAndWaitAsync("a1", remote, "main", prompt: "add a greeting");

        // Assert: the turn ran to the end and committed
        task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
        var messages = await shadow.Task("a1").GetMessagesAsync(Ct);
        messages.Select(m => m.Role).ShouldBe([ChatRole.User, ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant]);
        var call = messages[1].ToolCalls.ShouldNotBeNull().ShouldHaveSingleItem();
        (call.Id, call.Name).ShouldBe(("call_1", "edit_file"));
        messages[2].ToolCallId.ShouldBe("call_1");
        messages[2].IsError.ShouldBeFalse(messages[2].Content);
        messages[3].Content.ShouldBe("I added greeting.txt.");

        using (var bare = new Repository(remote))
        {
            var tip = bare.Branches["shadow/task-a1"].ShouldNotBeNull().Tip;
            tip.MessageShort.ShouldBe("Add a greeting file");
            ((Blob)tip["greeting.txt"].Target).GetContentText().ShouldBe("hello\n");
            var checkpoint = task.Checkpoints.ShouldNotBeNull().ShouldHaveSingleItem();
            (checkpoint.MessageId, checkpoint.Sha, checkpoint.Committed).ShouldBe((messages[3].Id, tip.Sha, true));
        }

        // Two conversation calls and the commit message, 100 in / 20 out each, priced at 1000 / 2000 per million.
        task.Usage.ShouldNotBeNull().ShouldBe(new UsageTotals(300, 60, 0.42m, 3));
        messages[1].Usage.ShouldNotBeNull().Cost.ShouldBe(0.14m);
        (await shadow.Client.GetGrain<IUserGrain>("alice").GetUsageAsync(Ct)).ShouldBe(new UsageTotals(300, 60, 0.42m, 3));
        model.Requests.ShouldAllBe(r => r.Authorization == "Bearer sk-test-key");
        model.Requests.First().HasTools.ShouldBeTrue();
        task.Agent.ShouldNotBeNull().ShouldBe(new AgentInfo("OpenAI", ModelServer.Model, false));

        var seen = await ReadEventsAsync(events, e => e.Kind == TaskEventKind.TurnEnded);
        seen.Select(e => e.Kind).ShouldContain(TaskEventKind.TextDelta);
        seen.ShouldContain(e => e.Kind == TaskEventKind.TurnStarted && e.MessageId == messages[0].Id);
        seen.ShouldContain(e => e.Kind == TaskEventKind.ToolCall && e.ToolName == "edit_file" && e.Arguments!.Contains("greeting.txt"));
        seen.ShouldContain(e => e.Kind == TaskEventKind.ToolResult && e.ToolCallId == "call_1" && !e.IsError);
        seen.ShouldContain(e => e.Kind == TaskEventKind.Commit && e.Text == "Add a greeting file");
        seen.Select(e => e.Seq).ShouldBeInOrder(SortDirection.Ascending);
        string.Concat(seen.Where(e => e.Kind == TaskEventKind.TextDelta).Select(e => e.Text)).ShouldBe("I added greeting.txt.");
    }

    [Fact]
    public async Task Turn_NoChange_MakesNoCommit()
    {
        await using var model = await ModelServer.StartAsync(Ct);
        await using var shadow = await ShadowCluster.StartAsync(model.Settings());
        var remote = shadow.CreateRemote("repo");

        // Act
        var task = await shadow.CreateAndWaitAsync("a2", remote, "main", prompt: "just look");

        // Assert
        task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
        using var bare = new Repository(remote);
        bare.Branches["shadow/task-a2"].Tip.Sha.ShouldBe(bare.Branches["main"].Tip.Sha);
        task.Checkpoints.ShouldNotBeNull().ShouldHaveSingleItem().Committed.ShouldBeFalse();
        model.Requests.ShouldNotContain(r => r.IsCommitMessage);
    }

    [Fact]
    public async Task ScriptedDemo_WithoutAProviderKey_ReadsEditsAndCommitsWithItsRecordedMessage()
    {
        await using var shadow = await ShadowCluster.StartAsync(new Dictionary<string, string?>
        {
            ["Shadow:Agent:Provider"] = null,
            ["Shadow:Agent:ScriptPath"] = null,
        });
        var remote = shadow.CreateRemote("repo");

        // Act
        var task = await shadow.CreateAndWaitAsync("a3", remote, "main", prompt: "say hello");

        // Assert
        task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
        task.Agent.ShouldNotBeNull().Scripted.ShouldBeTrue();
        var messages = await shadow.Task("a3").GetMessagesAsync(Ct);
        messages.Count(m => m.Role == ChatRole.Tool).ShouldBe(3);
        messages.Where(m => m.Role == ChatRole.Tool).ShouldAllBe(m => !m.IsError);
        using var bare = new Repository(remote);
        var tip = bare.Branches["shadow/task-a3"].Tip;
        tip.MessageShort.ShouldBe("Add HELLO.md with a greeting from Shadow");
        tip["HELLO.md"].ShouldNotBeNull();
    }

    [Fact]
    public async Task FollowUps_SentWhileATurnRuns_AreQueuedAndRunInOrder()
    {
        await using var model = await ModelServer.StartAsync(Ct);
        var gate = new TaskCompletionSource();
        model.Responder = r => Task.FromResult<ModelReply>(
            r.IsCommitMessage ? new ModelReply.Text("unused")
            : r.LastUser == "first" ? new ModelReply.Hang(gate, new ModelReply.Text("answer to first"))
            : new ModelReply.Text($"answer to {r.LastUser}"));
        await using var shadow = await ShadowCluster.StartAsync(model.Settings());
        var remote = shadow.CreateRemote("repo");
        await shadow.Task("a4").CreateAsync(new CreateTaskCommand("alice", remote, "main", "first"), Ct);
        await WaitUntilAsync(() => model.Requests.Any(r => r.LastUser == "first"), "the first turn's model call");

        // Act
        var second = await shadow.Task("a4").PostMessageAsync("second", Ct);
        var third = await shadow.Task("a4").PostMessageAsync("third", Ct);
        var queued = await shadow.Task("a4").GetAsync(Ct);
        gate.SetResult();
        var task = await shadow.WaitForInitAsync("a4");

        // Assert
        queued.Status.ShouldBe(ShadowTaskStatus.Running);
        queued.QueuedMessages.ShouldNotBeNull().Select(m => m.Content).ShouldBe(["second", "third"]);
        (second.Sequence, third.Sequence).ShouldBe((0, 0));
        task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
        task.QueuedMessages.ShouldNotBeNull().ShouldBeEmpty();
        var messages = await shadow.Task("a4").GetMessagesAsync(Ct);
        messages.Select(m => m.Content).ShouldBe(["first", "answer to first", "second", "answer to second", "third", "answer to third"]);
        messages.Select(m => m.Sequence).ShouldBe([1L, 2, 3, 4, 5, 6]);
        messages[2].Id.ShouldBe(second.Id);
        task.Checkpoints.ShouldNotBeNull().Count.ShouldBe(3);
    }

    [Fact]
    public async Task Stop_DuringALongCommand_EndsTheTurnAndStillCommitsWhatChanged()
    {
        await using var model = await ModelServer.StartAsync(Ct);
        model.Responder = r => Task.FromResult<ModelReply>(
            r.IsCommitMessage ? new ModelReply.Text("Write a.txt before the stop")
            : r.AssistantCount == 0 ? ModelReply.Call("c1", "edit_file", new { path = "a.txt", content = "kept\n" })
            : r.AssistantCount == 1 ? ModelReply.Call("c2", "run_terminal_cmd", new { command = "sleep 60", timeout_seconds = 120 })
            : new ModelReply.Text("should not be asked"));
        await using var shadow = await ShadowCluster.StartAsync(model.Settings());
        var remote = shadow.CreateRemote("repo");
        await shadow.Task("a5").CreateAsync(new CreateTaskCommand("alice", remote, "main", "work slowly"), Ct);
        await WaitUntilAsync(() => model.Requests.Count(r => !r.IsCommitMessage) >= 2, "the turn's second model call");
        await Task.Delay(500, Ct); // the command starts

        // Act
        var stopping = await shadow.Task("a5").StopAsync(Ct);
        var task = await shadow.WaitForInitAsync("a5", TimeSpan.FromSeconds(30));

        // Assert
        stopping.Status.ShouldBe(ShadowTaskStatus.Running);
        task.Status.ShouldBe(ShadowTaskStatus.Stopped);
        var messages = await shadow.Task("a5").GetMessagesAsync(Ct);
        messages.Single(m => m.ToolCallId == "c2").Content.ShouldContain("Cancelled");
        messages[^1].Role.ShouldBe(ChatRole.System);
        messages[^1].Content.ShouldStartWith("Stopped by the user.");
        model.Requests.ShouldNotContain(r => !r.IsCommitMessage && r.AssistantCount >= 2);
        using var bare = new Repository(remote);
        var tip = bare.Branches["shadow/task-a5"].Tip;
        tip.MessageShort.ShouldBe("Write a.txt before the stop");
        tip["a.txt"].ShouldNotBeNull();
        task.Checkpoints.ShouldNotBeNull().ShouldHaveSingleItem().Sha.ShouldBe(tip.Sha);
    }

    [Fact]
    public async Task Rollback_ToTheFirstCheckpoint_ResetsTheBranchAndDropsLaterMessages_AndRefusesWhenTheRemoteMoved()
    {
        await using var model = await ModelServer.StartAsync(Ct);
        model.Responder = r => Task.FromResult<ModelReply>(
            r.IsCommitMessage ? new ModelReply.Text($"Turn for {r.LastUser}")
            : r.ToolResults.Count < r.Messages.Count(m => m.GetProperty("role").GetString() == "user")
                ? ModelReply.Call($"c{r.AssistantCount}", "edit_file", new { path = $"{r.LastUser}.txt", content = r.LastUser })
                : new ModelReply.Text($"wrote {r.LastUser}.txt"));
        await using var shadow = await ShadowCluster.StartAsync(model.Settings());
        var remote = shadow.CreateRemote("repo");
        var first = await shadow.CreateAndWaitAsync("a6", remote, "main", prompt: "one");
        await shadow.Task("a6").PostMessageAsync("two", Ct);
        var second = await shadow.WaitForInitAsync("a6");
        second.Checkpoints.ShouldNotBeNull().Count.ShouldBe(2);
        var firstCheckpoint = second.Checkpoints[0];

        // Act
        var rolledBack = await shadow.Task("a6").RollbackAsync(firstCheckpoint.MessageId, Ct);

        // Assert
        first.Status.ShouldBe(ShadowTaskStatus.Idle, first.Error);
        rolledBack.Status.ShouldBe(ShadowTaskStatus.Idle);
        rolledBack.Checkpoints.ShouldNotBeNull().ShouldHaveSingleItem().ShouldBe(firstCheckpoint);
        var messages = await shadow.Task("a6").GetMessagesAsync(Ct);
        messages[^1].Id.ShouldBe(firstCheckpoint.MessageId);
        messages.ShouldNotContain(m => m.Content == "two");
        using (var bare = new Repository(remote))
        {
            bare.Branches["shadow/task-a6"].Tip.Sha.ShouldBe(firstCheckpoint.Sha);
        }

        var workspace = shadow.Client.GetGrain<Shadow.Grains.Abstractions.Workspaces.IWorkspaceGrain>("a6");
        (await workspace.ListFilesAsync(null, Ct)).Entries.Select(e => e.Name).Where(n => n != ".git").ShouldBe(["README.md", "one.txt"], ignoreOrder: true);

        // Someone else pushes to the shadow branch: the next rollback must not overwrite their commit.
        var outside = PushOutsideCommit(shadow, remote, "shadow/task-a6");
        await Should.ThrowAsync<InvalidTaskRequestException>(() => shadow.Task("a6").RollbackAsync("m-unknown", Ct));
        var refused = await Should.ThrowAsync<TaskConflictException>(() => shadow.Task("a6").RollbackAsync(firstCheckpoint.MessageId, Ct));
        refused.Message.ShouldContain("moved");
        using (var bare = new Repository(remote))
        {
            bare.Branches["shadow/task-a6"].Tip.Sha.ShouldBe(outside);
        }
    }

    [Fact]
    public async Task EditLastMessage_GoesBackToBeforeIt_AndRunsTheTurnAgain()
    {
        await using var model = await ModelServer.StartAsync(Ct);
        model.Responder = r => Task.FromResult<ModelReply>(
            r.IsCommitMessage ? new ModelReply.Text($"Write {r.LastUser}")
            : r.ToolResults.Count == 0 ? ModelReply.Call("c1", "edit_file", new { path = $"{r.LastUser}.txt", content = "x" })
            : new ModelReply.Text($"wrote {r.LastUser}.txt"));
        await using var shadow = await ShadowCluster.StartAsync(model.Settings());
        var remote = shadow.CreateRemote("repo");
        await shadow.CreateAndWaitAsync("a7", remote, "main", prompt: "wrong");
        var prompt = (await shadow.Task("a7").GetMessagesAsync(Ct))[0];

        // Act
        var edited = await shadow.Task("a7").EditMessageAsync(prompt.Id, "right", Ct);
        var task = await shadow.WaitForInitAsync("a7");

        // Assert
        edited.Id.ShouldBe(prompt.Id);
        task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
        var messages = await shadow.Task("a7").GetMessagesAsync(Ct);
        messages.Select(m => m.Content).First().ShouldBe("right");
        messages[^1].Content.ShouldBe("wrote right.txt");
        using var bare = new Repository(remote);
        var tip = bare.Branches["shadow/task-a7"].Tip;
        tip["right.txt"].ShouldNotBeNull();
        tip["wrong.txt"].ShouldBeNull();
        tip.Parents.Single().Sha.ShouldBe(bare.Branches["main"].Tip.Sha);
        await Should.ThrowAsync<TaskConflictException>(() => shadow.Task("a7").EditMessageAsync(messages[1].Id, "not a user message", Ct));
    }

    [Theory]
    [InlineData("500")]
    [InlineData("429")]
    [InlineData("garbage")]
    [InlineData("empty")]
    [InlineData("truncated")]
    public async Task ProviderFailure_RetriedThenTheTurnFailsClearly_AndAFollowUpStillWorks(string failure)
    {
        await using var model = await ModelServer.StartAsync(Ct);
        var broken = true;
        model.Responder = r => Task.FromResult<ModelReply>(
            broken ? failure switch
            {
                "500" => new ModelReply.Status(500),
                "429" => new ModelReply.Status(429),
                "garbage" => new ModelReply.Garbage(),
                "empty" => new ModelReply.Empty(),
                _ => new ModelReply.Truncated("I was about to"),
            }
            : new ModelReply.Text("back again"));
        await using var shadow = await ShadowCluster.StartAsync(model.Settings());
        var remote = shadow.CreateRemote("repo");

        // Act
        var failed = await shadow.CreateAndWaitAsync("a8", remote, "main", prompt: "try");
        broken = false;
        await shadow.Task("a8").PostMessageAsync("again", Ct);
        var recovered = await shadow.WaitForInitAsync("a8");

        // Assert
        failed.Status.ShouldBe(ShadowTaskStatus.Failed);
        failed.Error.ShouldNotBeNull().ShouldContain("failed 3 times");
        model.Requests.Count(r => r.LastUser == "try").ShouldBe(3); // the call and MaxRetries = 2 retries
        recovered.Status.ShouldBe(ShadowTaskStatus.Idle, recovered.Error);
        recovered.Error.ShouldBeNull();
        (await shadow.Task("a8").GetMessagesAsync(Ct))[^1].Content.ShouldBe("back again");
    }

    [Fact]
    public async Task ProviderDown_NothingListens_TheTurnFailsSayingSo()
    {
        await using var model = await ModelServer.StartAsync(Ct);
        var settings = model.Settings();
        settings["Shadow:Agent:BaseUrl"] = $"http://127.0.0.1:{FreePortNobodyListensOn()}/v1";
        await using var shadow = await ShadowCluster.StartAsync(settings);
        var remote = shadow.CreateRemote("repo");

        // Act
        var task = await shadow.CreateAndWaitAsync("a15", remote, "main", prompt: "anyone there?");

        // Assert
        task.Status.ShouldBe(ShadowTaskStatus.Failed);
        task.Error.ShouldNotBeNull().ShouldContain("could not be reached");
        task.InitSteps.ShouldAllBe(s => s.Status == InitStepStatus.Succeeded);
        var messages = await shadow.Task("a15").GetMessagesAsync(Ct);
        messages[^1].Role.ShouldBe(ChatRole.System);
        messages[^1].Content.ShouldContain("Send a follow-up to try again");
    }

    private static int FreePortNobodyListensOn()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task ProviderRecoversWithinTheRetries_TheTurnSucceeds()
    {
        await using var model = await ModelServer.StartAsync(Ct);
        var calls = 0;
        model.Responder = _ => Task.FromResult<ModelReply>(Interlocked.Increment(ref calls) <= 2 ? new ModelReply.Status(503) : new ModelReply.Text("made it"));
        await using var shadow = await ShadowCluster.StartAsync(model.Settings());
        var remote = shadow.CreateRemote("repo");

        // Act
        var task = await shadow.CreateAndWaitAsync("a9", remote, "main", prompt: "try");

        // Assert
        task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
        (await shadow.Task("a9").GetMessagesAsync(Ct))[^1].Content.ShouldBe("made it");
        var events = await ReadEventsAsync(shadow.Client.GetGrain<ITaskEventsGrain>("a9"), e => e.Kind == TaskEventKind.TurnEnded);
        events.Count(e => e.Kind == TaskEventKind.Retry).ShouldBe(2);
        events.First(e => e.Kind == TaskEventKind.Retry).Text.ShouldNotBeNull().ShouldContain("HTTP 503");
    }

    [Fact]
    public async Task BadToolCalls_MalformedArgumentsAndUnknownTools_GoBackToTheModelAsErrors()
    {
        await using var model = await ModelServer.StartAsync(Ct);
        model.Responder = r => Task.FromResult<ModelReply>(r.AssistantCount == 0
            ? new ModelReply.Tools(new ToolCallReply("c1", "read_file", "{\"path\": "), new ToolCallReply("c2", "launch_rockets", "{}"),
                new ToolCallReply("c3", "read_file", "{\"path\":\"../../etc/passwd\"}"))
            : new ModelReply.Text("understood"));
        await using var shadow = await ShadowCluster.StartAsync(model.Settings());
        var remote = shadow.CreateRemote("repo");

        // Act
        var task = await shadow.CreateAndWaitAsync("a10", remote, "main", prompt: "misbehave");

        // Assert
        task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
        var results = (await shadow.Task("a10").GetMessagesAsync(Ct)).Where(m => m.Role == ChatRole.Tool).ToList();
        results.Select(m => m.ToolCallId).ShouldBe(["c1", "c2", "c3"]);
        results.ShouldAllBe(m => m.IsError);
        results[1].Content.ShouldContain("Unknown tool 'launch_rockets'");
        model.Requests.Last(r => !r.IsCommitMessage).ToolResults.Count.ShouldBe(3);
    }

    [Fact]
    public async Task LoopDetection_TheSameCallRepeated_EndsTheTurnWithAClearNotice()
    {
        await using var model = await ModelServer.StartAsync(Ct);
        model.Responder = r => Task.FromResult<ModelReply>(ModelReply.Call($"c{r.AssistantCount}", "list_dir", new { path = "." }));
        var settings = model.Settings();
        settings["Shadow:Agent:LoopDetectionRepeats"] = "3";
        await using var shadow = await ShadowCluster.StartAsync(settings);
        var remote = shadow.CreateRemote("repo");

        // Act
        var task = await shadow.CreateAndWaitAsync("a11", remote, "main", prompt: "spin");

        // Assert
        task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
        var messages = await shadow.Task("a11").GetMessagesAsync(Ct);
        messages[^1].Role.ShouldBe(ChatRole.System);
        messages[^1].Content.ShouldContain("same call 3 times");
        messages.Count(m => m.Role == ChatRole.Tool && !m.IsError).ShouldBe(2);
        model.Requests.Count(r => !r.IsCommitMessage).ShouldBe(3);
    }

    [Fact]
    public async Task MaxSteps_ATurnThatKeepsCalling_EndsAtTheLimit()
    {
        await using var model = await ModelServer.StartAsync(Ct);
        model.Responder = r => Task.FromResult<ModelReply>(ModelReply.Call($"c{r.AssistantCount}", "file_search", new { query = $"q{r.AssistantCount}" }));
        var settings = model.Settings();
        settings["Shadow:Agent:MaxStepsPerTurn"] = "5";
        await using var shadow = await ShadowCluster.StartAsync(settings);
        var remote = shadow.CreateRemote("repo");

        // Act
        var task = await shadow.CreateAndWaitAsync("a12", remote, "main", prompt: "search forever");

        // Assert
        task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
        task.TurnSteps.ShouldBe(5);
        (await shadow.Task("a12").GetMessagesAsync(Ct))[^1].Content.ShouldContain("limit of 5 steps");
    }

    [Fact]
    public async Task ProviderKey_NeverReachesTheWorkspaceTheDataFolderOrTheState()
    {
        const string Key = "sk-very-secret-provider-key-4242";
        await using var model = await ModelServer.StartAsync(Ct);
        model.Responder = r => Task.FromResult<ModelReply>(
            r.IsCommitMessage ? new ModelReply.Text("Dump the environment")
            : r.AssistantCount == 0 ? ModelReply.Call("c1", "run_terminal_cmd", new { command = "env > env.txt; cat /proc/$PPID/environ | tr '\\0' '\\n' >> env.txt; echo done" })
            : new ModelReply.Text("dumped"));
        await using var shadow = await ShadowCluster.StartAsync(model.Settings(Key));
        var remote = shadow.CreateRemote("repo");

        // Act
        var task = await shadow.CreateAndWaitAsync("a13", remote, "main", prompt: "print the environment");

        // Assert
        task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
        model.Requests.ShouldAllBe(r => r.Authorization == $"Bearer {Key}");
        using (var bare = new Repository(remote))
        {
            var env = ((Blob)bare.Branches["shadow/task-a13"].Tip["env.txt"].Target).GetContentText();
            env.ShouldContain("PATH=");
            env.ShouldNotContain(Key);
        }

        (await shadow.Task("a13").GetMessagesAsync(Ct)).ShouldAllBe(m => !m.Content.Contains(Key));
        model.Requests.First().Body.GetProperty("stream_options").GetProperty("include_usage").GetBoolean().ShouldBeTrue();

        // The user watching the terminal sees the agent's command run.
        var terminal = shadow.Client.GetGrain<ITerminalGrain>("a13");
        await WaitUntilAsync(async () => (await terminal.GetHistoryAsync(0, 1000, Ct)).Entries.Any(e => e.Text.Contains("done", StringComparison.Ordinal)),
            "the command's output in the terminal");
        foreach (var file in Directory.EnumerateFiles(shadow.DataDir, "*", SearchOption.AllDirectories))
        {
            var bytes = await File.ReadAllBytesAsync(file, Ct);
            System.Text.Encoding.UTF8.GetString(bytes).ShouldNotContain(Key, customMessage: file);
        }
    }

    [Fact]
    public async Task HostRestartMidTurn_TheTurnResumesFromItsLastStep_WithoutRepeatingIt()
    {
        await using var model = await ModelServer.StartAsync(Ct);
        var gate = new TaskCompletionSource();
        model.Responder = r => Task.FromResult<ModelReply>(
            r.IsCommitMessage ? new ModelReply.Text("Resume after the restart")
            : r.AssistantCount == 0 ? ModelReply.Call("c1", "edit_file", new { path = "before.txt", content = "1" })
            : r.AssistantCount == 1 && !gate.Task.IsCompleted ? new ModelReply.Hang(gate, new ModelReply.Text("too late"))
            : new ModelReply.Text("finished after the restart"));
        await using var shadow = await ShadowCluster.StartAsync(model.Settings());
        var remote = shadow.CreateRemote("repo");
        await shadow.Task("a14").CreateAsync(new CreateTaskCommand("alice", remote, "main", "survive"), Ct);
        await WaitUntilAsync(() => model.Requests.Count(r => r.AssistantCount == 1) >= 1, "the second model call");

        // Act: the host goes down mid-turn (the model call in flight is lost)
        await shadow.RestartAsync();
        gate.SetResult();
        await shadow.Task("a14").GetAsync(Ct); // any call activates the task; the turn reminder would too, within a minute
        var task = await shadow.WaitForInitAsync("a14");

        // Assert
        task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
        var messages = await shadow.Task("a14").GetMessagesAsync(Ct);
        messages.Select(m => m.Role).ShouldBe([ChatRole.User, ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant]);
        messages[^1].Content.ShouldBe("finished after the restart");
        messages.Count(m => m.ToolCallId == "c1").ShouldBe(1);
        using var bare = new Repository(remote);
        var tip = bare.Branches["shadow/task-a14"].Tip;
        tip.MessageShort.ShouldBe("Resume after the restart");
        tip.Parents.Single().Sha.ShouldBe(bare.Branches["main"].Tip.Sha);
    }

    private static string PushOutsideCommit(ShadowCluster shadow, string remote, string branch)
    {
        var path = shadow.Root.Combine("outside-" + Guid.NewGuid().ToString("N")[..6]);
        Repository.Clone(remote, path, new CloneOptions { BranchName = branch });
        using var repo = new Repository(path);
        File.WriteAllText(Path.Combine(path, "outside.txt"), "someone else\n");
        Commands.Stage(repo, "outside.txt");
        var commit = repo.Commit("Outside change", GitRepos.Author, GitRepos.Author);
        repo.Network.Push(repo.Network.Remotes["origin"], $"refs/heads/{branch}:refs/heads/{branch}");
        return commit.Sha;
    }

    private static async Task<List<TaskEvent>> ReadEventsAsync(ITaskEventsGrain events, Func<TaskEvent, bool> until)
    {
        List<TaskEvent> seen = [];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await foreach (var e in events.FollowAsync(0, timeout.Token))
        {
            seen.Add(e);
            if (until(e))
            {
                break;
            }
        }

        return seen;
    }

    private static Task WaitUntilAsync(Func<bool> condition, string what) => WaitUntilAsync(() => Task.FromResult(condition()), what);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }

            await Task.Delay(25, Ct);
        }
    }
}
