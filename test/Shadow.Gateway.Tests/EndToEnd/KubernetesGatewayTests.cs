using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Shadow.Kubernetes.Simulation;
using Shadow.Testing;

namespace Shadow.Gateway.Tests.EndToEnd;

/// <summary>
/// The gateway with <c>Shadow:Runtime:Kind=Kubernetes</c> against the SIMULATED cluster: a task's workspace is a pod; a pod
/// deleted mid-task comes back from the shadow branch on the next tool call; archive deletes the pod.
/// </summary>
public sealed class KubernetesGatewayTests : IAsyncLifetime
{
    private readonly TempDirectory _root = new("shadow-gw-k8s");
    private KubernetesSimulation _cluster = null!;
    private GatewayFactory _gateway = null!;
    private HttpClient _alice = null!;

    public async ValueTask InitializeAsync()
    {
        _cluster = await KubernetesSimulation.StartAsync(_root.Combine("cluster"), probePeriod: TimeSpan.FromMilliseconds(50), cancellationToken: Http.Ct);
        var settings = _cluster.ShadowSettings();
        // Only tool calls notice the lost pod here (no health timer racing the test).
        settings["Shadow:Workspace:HealthInterval"] = "00:10:00";
        _gateway = new GatewayFactory(fakeGrains: false, settings);
        _alice = _gateway.CreateClient(GatewayFactory.AliceKey);
    }

    public async ValueTask DisposeAsync()
    {
        _alice.Dispose();
        await _gateway.DisposeAsync();
        await _cluster.DisposeAsync();
        _root.Dispose();
    }

    [Fact]
    public async Task Task_OnKubernetes_RunsInAPod_SurvivesItsPodBeingDeleted_AndArchiveDeletesThePod()
    {
        var remote = GitRepos.CreateBareRemote(_root.Combine("remote.git"), new Dictionary<string, string> { ["a.txt"] = "alpha\n" });
        using var created = await _alice.PostAsJsonAsync("/api/tasks", new { repoUrl = remote, baseBranch = "main", prompt = "work in a pod" }, Http.Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Http.Ct));
        var id = (await created.ReadObjectAsync())["id"]!.GetValue<string>();
        await WaitIdleAsync(id);
        var ws = $"/api/tasks/{id}/workspace";
        var pod = _cluster.PodNames().ShouldHaveSingleItem();
        pod.ShouldStartWith($"shadow-ws-{id}-");

        using (var read = await _alice.GetAsync($"{ws}/files/read?path=a.txt", Http.Ct))
        {
            (await read.ReadObjectAsync())["content"]!.GetValue<string>().ShouldBe("alpha\n");
        }

        // Kill the pod out from under the task (kubectl delete pod).
        using (var api = new HttpClient { BaseAddress = _cluster.Api.Address })
        {
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _cluster.Api.Token);
            (await api.DeleteAsync(new Uri($"/api/v1/namespaces/{_cluster.Namespace}/pods/{pod}", UriKind.Relative), Http.Ct)).EnsureSuccessStatusCode();
        }

        await WaitUntilAsync(() => !_cluster.PodNames().Contains(pod));

        // The next tool call brings the workspace back in a new pod, from the shadow branch.
        using (var again = await _alice.GetAsync($"{ws}/files/read?path=a.txt", Http.Ct))
        {
            again.StatusCode.ShouldBe(HttpStatusCode.OK, await again.Content.ReadAsStringAsync(Http.Ct));
            (await again.ReadObjectAsync())["content"]!.GetValue<string>().ShouldBe("alpha\n");
        }

        var replacement = _cluster.PodNames().ShouldHaveSingleItem();
        replacement.ShouldNotBe(pod);

        using var archived = await _alice.PostAsync($"/api/tasks/{id}/archive", null, Http.Ct);
        archived.StatusCode.ShouldBe(HttpStatusCode.OK);
        await WaitUntilAsync(() => _cluster.PodNames().Count == 0);
        using var gone = await _alice.GetAsync($"{ws}/files/read?path=a.txt", Http.Ct);
        await gone.ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }

    private async Task WaitIdleAsync(string id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            using var response = await _alice.GetAsync($"/api/tasks/{id}", Http.Ct);
            var task = await response.ReadObjectAsync();
            if (task["status"]!.GetValue<string>() is not ("initializing" or "running"))
            {
                task["status"]!.GetValue<string>().ShouldBe("idle", task.ToJsonString());
                return;
            }

            DateTime.UtcNow.ShouldBeLessThan(deadline, task.ToJsonString());
            await Task.Delay(50, Http.Ct);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline);
            await Task.Delay(20, Http.Ct);
        }
    }
}
