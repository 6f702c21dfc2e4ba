using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Shadow.Testing;

namespace Shadow.Gateway.Tests.EndToEnd;

/// <summary>
/// The sandbox seen through the gateway: two users' tasks on the real grains and Local runtime (bubblewrap, the default
/// when <c>bwrap</c> is installed); commands an agent could run try to escape and fail, ordinary work succeeds.
/// </summary>
public sealed class SandboxEndToEndTests : IAsyncLifetime
{
    private static readonly string? SkipReason =
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':').Any(d => File.Exists(Path.Combine(d, "bwrap")))
            ? null
            : "bubblewrap (bwrap) is not installed; .ci/run installs it (apt-get install bubblewrap)";

    private readonly TempDirectory _remotes = new("shadow-gw-sandbox");
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
    public async Task Healthz_ReportsTheSandbox()
    {
        Assert.SkipWhen(SkipReason is not null, SkipReason ?? string.Empty);

        using var response = await _gateway.CreateClient(apiKey: null).GetAsync("/healthz", Http.Ct);

        var health = await response.ReadObjectAsync();
        health["sandbox"]!.GetValue<string>().ShouldBe("bubblewrap");
        health["warnings"]!.AsArray().ShouldBeEmpty();
    }

    [Fact]
    public async Task EscapeCorpus_ThroughTheGateway_EveryAttemptFails()
    {
        Assert.SkipWhen(SkipReason is not null, SkipReason ?? string.Empty);
        var alice = await CreateIdleTaskAsync(_alice);
        var bob = await CreateIdleTaskAsync(_bob);
        var bobWorkspace = await ExecAsync(_bob, bob, "pwd");
        var sidecars = SidecarProcessScan.Matching(_gateway.DataDir);
        sidecars.Count.ShouldBeGreaterThanOrEqualTo(2);
        var ports = ListeningLoopbackPorts().Take(30).ToList();
        ports.ShouldNotBeEmpty();

        var command = string.Join("; ",
            "cat /etc/shadow | grep -c ':' ; echo \"shadow-lines\"",
            $"echo \"data=$(ls -A {_gateway.DataDir} | tr '\\n' ' ')\"",
            $"echo \"workspaces=$(ls -A {_gateway.DataDir}/workspaces | tr '\\n' ' ')\"",
            $"ls {bobWorkspace["stdout"]!.GetValue<string>().Trim()} && echo bob-listed",
            "ls ~/.ssh /root/.ssh && echo ssh-listed",
            $"echo pwned > {_gateway.DataDir}/pwned",
            "echo pwned > /usr/pwned && echo wrote-usr",
            $"for p in {string.Join(' ', ports)}; do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && echo \"connected $p\"; done",
            $"for p in {string.Join(' ', sidecars)}; do kill -9 $p 2>/dev/null && echo \"killed $p\"; done",
            "echo \"procs=$(ps -e -o pid= | wc -l)\"",
            "env");
        var result = await ExecAsync(_alice, alice, command, timeoutSeconds: 60);
        var stdout = result["stdout"]!.GetValue<string>();

        stdout.ShouldStartWith("0\nshadow-lines");
        // Of the data folder only the folders on the way to its own workspace exist in there: no state, no store, no other workspace.
        stdout.ShouldContain("data=workspaces \n");
        var bobInstance = Path.GetFileName(bobWorkspace["stdout"]!.GetValue<string>().Trim());
        stdout.ShouldNotContain(bobInstance);
        stdout.ShouldNotContain("bob-listed");
        stdout.ShouldNotContain("ssh-listed");
        stdout.ShouldNotContain("wrote-usr");
        // A data folder under /tmp lands in the command's private /tmp: the write may succeed there, never on the host.
        File.Exists(Path.Combine(_gateway.DataDir, "pwned")).ShouldBeFalse();
        stdout.ShouldNotContain("connected");
        stdout.ShouldNotContain("killed");
        int.Parse(stdout.Split('\n').First(l => l.StartsWith("procs=", StringComparison.Ordinal))[6..].Trim(), CultureInfo.InvariantCulture)
            .ShouldBeLessThan(10, "only the command's own processes are visible");
        stdout.ShouldNotContain("SHADOW_SIDECAR_TOKEN");
        stdout.ShouldNotContain("DOTNET_");
        stdout.ShouldContain("HOME=/home/shadow");
        SidecarProcessScan.Matching(_gateway.DataDir).ShouldBe(sidecars, ignoreOrder: true);
        (await ExecAsync(_bob, bob, "echo bob-still-works"))["stdout"]!.GetValue<string>().ShouldBe("bob-still-works\n");
    }

    [Fact]
    public async Task SymlinkToRoot_MadeByCommand_FileApiRefuses_OrdinaryGitWorkSucceeds()
    {
        Assert.SkipWhen(SkipReason is not null, SkipReason ?? string.Empty);
        var task = await CreateIdleTaskAsync(_alice);
        var ws = $"/api/tasks/{task["id"]}/workspace";

        var made = await ExecAsync(_alice, task,
            "before=$(git rev-list --count HEAD) && ln -s / rootlink && echo changed >> a.txt && git add -A a.txt && git -c user.name=a -c user.email=a@b commit -qm edit && echo $(( $(git rev-list --count HEAD) - before ))");
        using var read = await _alice.GetAsync($"{ws}/files/read?path={Uri.EscapeDataString("rootlink/etc/passwd")}", Http.Ct);

        made["exitCode"]!.GetValue<int>().ShouldBe(0, made.ToJsonString());
        made["stdout"]!.GetValue<string>().Trim().ShouldBe("1");
        var problem = await read.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem.ToJsonString().ShouldNotContain("root:x:0:0");
    }

    private static async Task<JsonObject> ExecAsync(HttpClient client, JsonObject task, string command, int timeoutSeconds = 30)
    {
        using var response = await client.PostAsJsonAsync($"/api/tasks/{task["id"]}/workspace/exec", new { command, timeoutSeconds }, Http.Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Http.Ct));
        return await response.ReadObjectAsync();
    }

    // Every TCP port something on this host listens on at 127.0.0.1 (the gateway's silo, every sidecar): /proc/net/tcp, state 0A.
    private static IEnumerable<int> ListeningLoopbackPorts() =>
        File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 3 && f[3] == "0A" && f[1].StartsWith("0100007F:", StringComparison.Ordinal))
            .Select(f => int.Parse(f[1][9..], NumberStyles.HexNumber, CultureInfo.InvariantCulture))
            .Distinct();

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
}
