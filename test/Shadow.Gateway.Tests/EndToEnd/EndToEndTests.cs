using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Shadow.Testing;

namespace Shadow.Gateway.Tests.EndToEnd;

/// <summary>
/// Through the gateway to the real grains: a real co-hosted silo, the Local runtime (sidecar processes) and bare git remotes.
/// </summary>
public sealed class EndToEndTests : IAsyncLifetime
{
    private readonly TempDirectory _remotes = new("shadow-gw-remotes");
    private readonly GatewayFactory _gateway = new(fakeGrains: false, new Dictionary<string, string?> { ["Shadow:Runtime:Local:WarmPoolSize"] = "0" });
    private HttpClient _alice = null!;
    private HttpClient _bob = null!;

    public ValueTask InitializeAsync()
    {
        _alice = _gateway.CreateClient(GatewayFactory.AliceKey);
        _bob = _gateway.CreateClient(GatewayFactory.BobKey);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _alice.Dispose();
        _bob.Dispose();
        await _gateway.DisposeAsync();
        _remotes.Dispose();
    }

    [Fact]
    public async Task CreateTask_OnBareRemote_BecomesIdleWithEveryInitStepSucceeded()
    {
        var task = await CreateIdleTaskAsync(_alice);

        task["branch"]!.GetValue<string>().ShouldBe($"shadow/task-{task["id"]}");
        task["baseBranch"]!.GetValue<string>().ShouldBe("main");
        task["initSteps"]!.AsArray().ShouldAllBe(s => s!["status"]!.GetValue<string>() == "succeeded");
    }

    [Fact]
    public async Task Workspace_WriteReadExecAndStatus_ThroughTheSidecar()
    {
        var ws = $"/api/tasks/{(await CreateIdleTaskAsync(_alice))["id"]}/workspace";

        using var write = await _alice.PostAsJsonAsync($"{ws}/files/write", new { path = "notes/n.txt", content = "hello gateway\n" }, Http.Ct);
        write.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var read = await _alice.GetAsync($"{ws}/files/read?path=notes/n.txt", Http.Ct);
        (await read.ReadObjectAsync())["content"]!.GetValue<string>().ShouldBe("hello gateway\n");
        using var exec = await _alice.PostAsJsonAsync($"{ws}/exec", new { command = "cat notes/n.txt; echo marker-$((6*7))" }, Http.Ct);
        (await exec.ReadObjectAsync())["stdout"]!.GetValue<string>().ShouldContain("marker-42");
        using var status = await _alice.GetAsync($"{ws}/git/status", Http.Ct);
        (await status.ReadObjectAsync())["files"]!.AsArray().ShouldContain(f => f!["path"]!.GetValue<string>() == "notes/n.txt");
        using var missing = await _alice.GetAsync($"{ws}/files/read?path=nope.txt", Http.Ct);
        await missing.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        using var escape = await _alice.GetAsync($"{ws}/files/read?path=../outside", Http.Ct);
        await escape.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Terminal_LastEventId_ReplaysOnlyLaterOutput()
    {
        var id = (await CreateIdleTaskAsync(_alice))["id"]!.GetValue<string>();
        using var exec = await _alice.PostAsJsonAsync($"/api/tasks/{id}/workspace/exec", new { command = "echo first-$((1+1)); sleep 0.3; echo second-$((2+2))" }, Http.Ct);
        exec.StatusCode.ShouldBe(HttpStatusCode.OK);

        using var all = new HttpRequestMessage(HttpMethod.Get, $"/api/tasks/{id}/terminal");
        var events = await ReadUntilAsync(all, "second-4");
        var first = events.First(e => e.Data.Contains("first-2", StringComparison.Ordinal)); // computed markers (the echoed command line does not contain them), on one stream, apart in time: two entries in order

        using var resumed = new HttpRequestMessage(HttpMethod.Get, $"/api/tasks/{id}/terminal");
        resumed.Headers.Add("Last-Event-ID", first.Id);
        var later = await ReadUntilAsync(resumed, "second-4");

        later.ShouldNotContain(e => e.Data.Contains("first-2", StringComparison.Ordinal));
        later.Select(e => long.Parse(e.Id!, System.Globalization.CultureInfo.InvariantCulture)).ShouldAllBe(seq => seq > long.Parse(first.Id!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Agent_ScriptedDemo_EventsMessagesCheckpointsAndTheChatRoutes()
    {
        var task = await CreateIdleTaskAsync(_alice);
        var id = task["id"]!.GetValue<string>();

        // The demo turn ran: its events replay from the start, in order.
        using var all = new HttpRequestMessage(HttpMethod.Get, $"/api/tasks/{id}/events");
        var events = await _alice.ReadEventsAsync(all, 500, TimeSpan.FromSeconds(10), stopWhen: e => e.Event == "turn-ended");
        events.Select(e => e.Event).ShouldContain("tool-call");
        events.Select(e => e.Event).ShouldContain("tool-result");
        var commit = events.Single(e => e.Event == "commit");
        commit.Data.ShouldContain("Add HELLO.md with a greeting from Shadow");
        events.ShouldContain(e => e.Event == "status" && e.Data.Contains("\"running\"", StringComparison.Ordinal));
        using var resumed = new HttpRequestMessage(HttpMethod.Get, $"/api/tasks/{id}/events");
        resumed.Headers.Add("Last-Event-ID", commit.Id);
        var later = await _alice.ReadEventsAsync(resumed, 50, TimeSpan.FromSeconds(3), stopWhen: e => e.Event == "turn-ended");
        later.ShouldNotContain(e => e.Event == "commit");
        later.ShouldContain(e => e.Event == "turn-ended");

        task["agent"]!["scripted"]!.GetValue<bool>().ShouldBeTrue();
        var checkpoint = task["checkpoints"]!.AsArray().ShouldHaveSingleItem()!;
        checkpoint["committed"]!.GetValue<bool>().ShouldBeTrue();
        using var messages = await _alice.GetAsync($"/api/tasks/{id}/messages", Http.Ct);
        var history = (await messages.Content.ReadFromJsonAsync<JsonArray>(Http.Ct))!;
        history[1]!["toolCalls"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ShouldBe(["list_dir", "read_file"]);
        history[2]!["role"]!.GetValue<string>().ShouldBe("tool");
        history[2]!["toolCallId"]!.GetValue<string>().ShouldBe("call_1");

        // The chat routes: bad input is a problem, not a crash.
        using var noBody = await _alice.PostAsJsonAsync($"/api/tasks/{id}/rollback", new { }, Http.Ct);
        (await noBody.ShouldBeProblemAsync(HttpStatusCode.BadRequest))["errors"]!["messageId"].ShouldNotBeNull();
        using var unknown = await _alice.PostAsJsonAsync($"/api/tasks/{id}/rollback", new { messageId = "m999" }, Http.Ct);
        (await unknown.ShouldBeProblemAsync(HttpStatusCode.BadRequest))["detail"]!.GetValue<string>().ShouldContain("no checkpoint");
        using var notLast = await _alice.PutAsJsonAsync($"/api/tasks/{id}/messages/{history[1]!["id"]}", new { content = "x" }, Http.Ct);
        await notLast.ShouldBeProblemAsync(HttpStatusCode.Conflict);
        using var blank = await _alice.PutAsJsonAsync($"/api/tasks/{id}/messages/{history[0]!["id"]}", new { content = " " }, Http.Ct);
        await blank.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        using var stop = await _alice.PostAsync($"/api/tasks/{id}/stop", null, Http.Ct);
        (await stop.ReadObjectAsync())["status"]!.GetValue<string>().ShouldBe("idle");
        using var rollback = await _alice.PostAsJsonAsync($"/api/tasks/{id}/rollback", new { messageId = checkpoint["messageId"]!.GetValue<string>() }, Http.Ct);
        (await rollback.ReadObjectAsync())["checkpoints"]!.AsArray().Count.ShouldBe(1);
        using var usage = await _alice.GetAsync("/api/usage", Http.Ct);
        (await usage.ReadObjectAsync())["modelCalls"]!.GetValue<int>().ShouldBe(0); // the scripted demo reports no tokens
        using var othersEvents = await _bob.GetAsync($"/api/tasks/{id}/events", Http.Ct);
        await othersEvents.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        using var health = await _alice.GetAsync("/healthz", Http.Ct);
        (await health.ReadObjectAsync())["agent"]!["scripted"]!.GetValue<bool>().ShouldBeTrue();
    }

    [Fact]
    public async Task CreateTask_RepositoryInsideTheDataFolder_400NamingRepoUrl()
    {
        var inside = Path.Combine(_gateway.DataDir, "workspaces");

        using var created = await _alice.PostAsJsonAsync("/api/tasks", new { repoUrl = inside, prompt = "read someone else's work" }, Http.Ct);

        var problem = await created.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem["detail"]!.GetValue<string>().ShouldContain("data folder");
    }

    [Fact]
    public async Task Archive_ThenWorkspaceCall_409()
    {
        var id = (await CreateIdleTaskAsync(_alice))["id"]!.GetValue<string>();

        using var archived = await _alice.PostAsync($"/api/tasks/{id}/archive", null, Http.Ct);
        (await archived.ReadObjectAsync())["status"]!.GetValue<string>().ShouldBe("archived");

        using var read = await _alice.GetAsync($"/api/tasks/{id}/workspace/files/list", Http.Ct);
        await read.ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task TwoUsers_Isolated()
    {
        var id = (await CreateIdleTaskAsync(_alice))["id"]!.GetValue<string>();

        using var get = await _bob.GetAsync($"/api/tasks/{id}", Http.Ct);
        await get.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        using var ws = await _bob.GetAsync($"/api/tasks/{id}/workspace/files/list", Http.Ct);
        await ws.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        using var list = await _bob.GetAsync("/api/tasks", Http.Ct);
        (await list.ReadArrayAsync()).ShouldNotContain(t => t!["id"]!.GetValue<string>() == id);
    }

    private async Task<JsonObject> CreateIdleTaskAsync(HttpClient client)
    {
        var remote = GitRepos.CreateBareRemote(_remotes.Combine($"r{Guid.NewGuid():N}.git"),
            new Dictionary<string, string> { ["a.txt"] = "alpha\n" });
        using var created = await client.PostAsJsonAsync("/api/tasks", new { repoUrl = remote, baseBranch = "main", prompt = "do the thing" }, Http.Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Http.Ct));
        var location = created.Headers.Location!.ToString();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            using var response = await client.GetAsync(location, Http.Ct);
            var task = await response.ReadObjectAsync();
            var status = task["status"]!.GetValue<string>();
            if (status is not ("initializing" or "running"))
            {
                status.ShouldBe("idle", task.ToJsonString());
                return task;
            }

            DateTime.UtcNow.ShouldBeLessThan(deadline, task.ToJsonString());
            await Task.Delay(50, Http.Ct);
        }
    }

    private async Task<List<(string? Id, string? Event, string Data)>> ReadUntilAsync(HttpRequestMessage request, string marker)
    {
        // Read generously, then keep what arrived up to the marker: the stream never ends by itself.
        var events = await _alice.ReadEventsAsync(request, 200, TimeSpan.FromSeconds(5), stopWhen: e => e.Data.Contains(marker, StringComparison.Ordinal));
        events.ShouldContain(e => e.Data.Contains(marker, StringComparison.Ordinal));
        return events;
    }
}
