using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Shadow.Testing;

namespace Shadow.Gateway.Tests.EndToEnd;

/// <summary>
/// The embedded default as a newcomer runs it: the real gateway process (co-hosted silo, SQLite store, Local runtime)
/// killed with SIGKILL and started again on the same data folder.
/// </summary>
public sealed class GatewayProcessTests : IAsyncDisposable
{
    private const string Key = "process-key-0123456789abcdef";
    private readonly TempDirectory _root = new("shadow-gw-process");
    private readonly StringBuilder _output = new();
    private Process? _gateway;
    private Uri _baseAddress = null!;

    [Fact]
    public async Task KilledAndRestarted_TasksMessagesAndTerminalAreKept_SidecarsEndWithTheHost_WorkspaceComesBackOnUse()
    {
        var remote = GitRepos.CreateBareRemote(_root.Combine("repo.git"), new Dictionary<string, string> { ["a.txt"] = "alpha\n" });
        await StartAsync();
        using var http = Client();
        using var created = await http.PostAsJsonAsync("/api/tasks", new { repoUrl = remote, baseBranch = "main", prompt = "survive a crash" }, Http.Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Http.Ct));
        var id = (await created.ReadObjectAsync())["id"]!.GetValue<string>();
        await WaitIdleAsync(http, id);
        using (var follow = await http.PostAsJsonAsync($"/api/tasks/{id}/messages", new { content = "a follow-up" }, Http.Ct))
        {
            follow.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        }

        await WaitIdleAsync(http, id);
        string[] before;
        using (var messagesBefore = await http.GetAsync($"/api/tasks/{id}/messages", Http.Ct))
        {
            before = [.. (await messagesBefore.ReadArrayAsync()).Select(m => m!["content"]!.GetValue<string>())];
        }

        before[0].ShouldBe("survive a crash");
        before.ShouldContain("a follow-up");

        using (var write = await http.PostAsJsonAsync($"/api/tasks/{id}/workspace/files/write", new { path = "kept.txt", content = "kept\n" }, Http.Ct))
        {
            write.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using (var exec = await http.PostAsJsonAsync($"/api/tasks/{id}/workspace/exec", new { command = "echo before-$((20+1))" }, Http.Ct))
        {
            exec.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await WaitForTerminalAsync(http, id, "before-21");
        await Task.Delay(1500, Http.Ct); // the terminal grain writes its buffer once a second
        var sidecars = SidecarPids();
        sidecars.ShouldNotBeEmpty();

        // Act: crash the host.
        _gateway!.Kill();
        await _gateway.WaitForExitAsync(Http.Ct);

        // Assert: no sidecar outlives it (each watches its parent).
        var deadline = Stopwatch.StartNew();
        while (SidecarPids().Count > 0 && deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(100, Http.Ct);
        }

        SidecarPids().ShouldBeEmpty("sidecars outlived their host");

        await StartAsync();
        using var after = Client();
        using var task = await after.GetAsync($"/api/tasks/{id}", Http.Ct);
        var body = await task.ReadObjectAsync();
        body["status"]!.GetValue<string>().ShouldBe("idle", body.ToJsonString());
        body["initSteps"]!.AsArray().ShouldAllBe(s => s!["status"]!.GetValue<string>() == "succeeded");
        using var messages = await after.GetAsync($"/api/tasks/{id}/messages", Http.Ct);
        (await messages.ReadArrayAsync()).Select(m => m!["content"]!.GetValue<string>()).ShouldBe(before);
        using var history = await after.GetAsync($"/api/tasks/{id}/terminal/history?since=0", Http.Ct);
        (await history.Content.ReadAsStringAsync(Http.Ct)).ShouldContain("before-21");
        using var read = await after.GetAsync($"/api/tasks/{id}/workspace/files/read?path=kept.txt", Http.Ct);
        (await read.ReadObjectAsync())["content"]!.GetValue<string>().ShouldBe("kept\n");
    }

    private HttpClient Client()
    {
        var client = new HttpClient { BaseAddress = _baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        return client;
    }

    private async Task StartAsync()
    {
        var port = GatewayFactory.FreePort();
        _baseAddress = new Uri($"http://127.0.0.1:{port}/");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _root.Path };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Shadow.Gateway.dll"));
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add(_baseAddress.ToString().TrimEnd('/'));
        psi.Environment["Shadow__DataDir"] = _root.Combine("data");
        psi.Environment[$"Shadow__Auth__ApiKeys__{Key}"] = "carol";
        psi.Environment["Shadow__Agent__Provider"] = "Scripted";
        psi.Environment["Shadow__Orleans__SiloPort"] = GatewayFactory.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["Shadow__Orleans__GatewayPort"] = GatewayFactory.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["Shadow__Runtime__Local__WarmPoolSize"] = "1";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        _gateway?.Dispose();
        _gateway = new Process { StartInfo = psi };
        _gateway.OutputDataReceived += (_, e) => Append(e.Data);
        _gateway.ErrorDataReceived += (_, e) => Append(e.Data);
        _gateway.Start();
        _gateway.BeginOutputReadLine();
        _gateway.BeginErrorReadLine();

        using var probe = new HttpClient { BaseAddress = _baseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            _gateway.HasExited.ShouldBeFalse($"the gateway exited during start:\n{Output()}");
            try
            {
                using var health = await probe.GetAsync("/healthz", Http.Ct);
                if (health.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!Http.Ct.IsCancellationRequested)
            {
                // A probe that took longer than its 5 s (a loaded machine, the host still starting): probe again.
            }

            deadline.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(60), $"the gateway did not become healthy:\n{Output()}");
            await Task.Delay(100, Http.Ct);
        }
    }

    private static async Task WaitIdleAsync(HttpClient http, string id)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var response = await http.GetAsync($"/api/tasks/{id}", Http.Ct);
            var task = await response.ReadObjectAsync();
            if (task["status"]!.GetValue<string>() is not ("initializing" or "running"))
            {
                task["status"]!.GetValue<string>().ShouldBe("idle", task.ToJsonString());
                return;
            }

            deadline.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(90), task.ToJsonString());
            await Task.Delay(50, Http.Ct);
        }
    }

    private static async Task WaitForTerminalAsync(HttpClient http, string id, string marker)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var history = await http.GetAsync($"/api/tasks/{id}/terminal/history?since=0", Http.Ct);
            if ((await history.Content.ReadAsStringAsync(Http.Ct)).Contains(marker, StringComparison.Ordinal))
            {
                return;
            }

            deadline.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30), $"the terminal never showed {marker}");
            await Task.Delay(50, Http.Ct);
        }
    }

    /// <summary>Sidecar processes serving a workspace under this test's data folder.</summary>
    private List<int> SidecarPids() => SidecarProcessScan.Matching(_root.Combine("data"));

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_gateway is { HasExited: false })
        {
            _gateway.Kill();
            await _gateway.WaitForExitAsync();
        }

        _gateway?.Dispose();
        _root.Dispose();
    }
}
