using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Shadow.Grains.Abstractions.Errors;
using Shadow.Grains.Runtime;
using Shadow.Grains.Runtime.Kubernetes;
using Shouldly;

namespace Shadow.Grains.Tests.Runtime.Kubernetes;

/// <summary>The Kubernetes runtime on the real KubernetesClient against the SIMULATED API server and kubelet (real sidecar processes).</summary>
public sealed class KubernetesPodRuntimeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Provision_CreatesARestrictedPodAndItsOwnedTokenSecret_AndAnswersAReadySidecar()
    {
        await using var k8s = await KubernetesRuntimeHarness.StartAsync();

        var handle = await k8s.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("Task_1"), Ct);

        // The sidecar answers at the pod's IP on the configured port, with the per-workspace token.
        handle.Reattached.ShouldBeFalse();
        handle.InstanceId.ShouldStartWith("shadow-ws-task-1-");
        handle.BaseAddress.Port.ShouldBe(k8s.Simulation.SidecarPort);
        handle.BaseAddress.Host.ShouldStartWith("127.");
        handle.BaseAddress.Host.ShouldNotBe("127.0.0.1");
        using var http = new HttpClient { BaseAddress = handle.BaseAddress };
        (await http.GetAsync(new Uri("health", UriKind.Relative), Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await http.GetAsync(new Uri("status", UriKind.Relative), Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", handle.Token);
        (await http.GetAsync(new Uri("status", UriKind.Relative), Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

        // The pod: restricted security context, no service account token, labels, emptyDir workspace, probes, resources.
        var pod = k8s.Simulation.Store.Get("pods", k8s.Namespace, handle.InstanceId);
        var spec = pod["spec"]!.AsObject();
        ((bool)spec["automountServiceAccountToken"]!).ShouldBeFalse();
        ((string)spec["restartPolicy"]!).ShouldBe("Never");
        ((bool)spec["securityContext"]!["runAsNonRoot"]!).ShouldBeTrue();
        ((string)spec["securityContext"]!["seccompProfile"]!["type"]!).ShouldBe("RuntimeDefault");
        var container = spec["containers"]![0]!;
        ((bool)container["securityContext"]!["allowPrivilegeEscalation"]!).ShouldBeFalse();
        ((bool)container["securityContext"]!["readOnlyRootFilesystem"]!).ShouldBeTrue();
        container["securityContext"]!["capabilities"]!["drop"]!.AsArray().Select(c => (string)c!).ShouldBe(["ALL"]);
        ((string)container["image"]!).ShouldBe("shadow-sidecar:simulated");
        ((string)container["resources"]!["limits"]!["memory"]!).ShouldBe("2Gi");
        ((string)container["readinessProbe"]!["httpGet"]!["path"]!).ShouldBe("/health");
        container["env"]!.AsArray().ShouldNotContain(e => (string?)e!["value"] == handle.Token);
        spec["volumes"]!.AsArray().ShouldContain(v => (string)v!["name"]! == "workspace" && v["emptyDir"] != null);
        var labels = pod["metadata"]!["labels"]!;
        ((string)labels["shadow.dev/task-id"]!).ShouldBe("Task_1");
        ((string)labels["app.kubernetes.io/managed-by"]!).ShouldBe("shadow");
        ((string)pod["metadata"]!["annotations"]!["shadow.dev/task-id"]!).ShouldBe("Task_1");

        // The token lives only in the pod's own Secret, which the pod owns (deleted with it).
        var secret = k8s.Simulation.Store.Get("secrets", k8s.Namespace, handle.InstanceId);
        Encoding.UTF8.GetString(Convert.FromBase64String((string)secret["data"]!["token"]!)).ShouldBe(handle.Token);
        ((string)secret["metadata"]!["ownerReferences"]![0]!["uid"]!).ShouldBe((string)pod["metadata"]!["uid"]!);

        // Only the silos may reach workspace pods, on the sidecar port.
        var policy = k8s.Simulation.Store.Get("networkpolicies", k8s.Namespace, "shadow-workspaces-silos-only");
        ((string)policy["spec"]!["podSelector"]!["matchLabels"]!["app.kubernetes.io/component"]!).ShouldBe("workspace");
        var from = policy["spec"]!["ingress"]![0]!["from"]![0]!["podSelector"]!["matchLabels"]!;
        ((string)from["app.kubernetes.io/component"]!).ShouldBe("silo");
        ((int)policy["spec"]!["ingress"]![0]!["ports"]![0]!["port"]!).ShouldBe(k8s.Simulation.SidecarPort);

        // Readiness came through a watch, not by reading the pod over and over.
        k8s.Requests("WATCH pods").ShouldBeGreaterThanOrEqualTo(1);
        k8s.Requests("GET pods").ShouldBe(0);
        (await k8s.Runtime.GetStatusAsync(handle, Ct)).State.ShouldBe(WorkspaceRuntimeState.Running);
    }

    [Fact]
    public async Task Provision_WatchFromACompactedVersion_Gets410Expired_AndRecoversFromAFreshRead()
    {
        // No event history at all: every watch from an older version is told 410 Expired, as after an etcd compaction.
        await using var k8s = await KubernetesRuntimeHarness.StartAsync(eventLogCapacity: 0);

        var handle = await k8s.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("expired1"), Ct);

        (await k8s.Runtime.GetStatusAsync(handle, Ct)).State.ShouldBe(WorkspaceRuntimeState.Running);
        k8s.Requests("GET pods").ShouldBeGreaterThanOrEqualTo(2); // at least one fresh read after a 410, plus the status above
        using var http = new HttpClient { BaseAddress = handle.BaseAddress };
        (await http.GetAsync(new Uri("health", UriKind.Relative), Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Delete_EndsThePodsProcess_RemovesPodAndSecret_AndAGoneOrForeignInstanceCountsAsDone()
    {
        await using var k8s = await KubernetesRuntimeHarness.StartAsync();
        var handle = await k8s.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("del1"), Ct);
        var pid = k8s.Simulation.Kubelet.ProcessIdOf(k8s.Namespace, handle.InstanceId).ShouldNotBeNull();

        await k8s.Runtime.DeleteAsync(handle, deleteStorage: true, Ct);

        // The API removes the pod once the kubelet has stopped it; the garbage collector takes the owned Secret.
        await WaitUntilAsync(() => k8s.Simulation.Store.TryGet("pods", k8s.Namespace, handle.InstanceId) is null);
        k8s.Simulation.Store.TryGet("secrets", k8s.Namespace, handle.InstanceId).ShouldBeNull();
        await WaitUntilAsync(() => !ProcessRuns(pid));
        (await k8s.Runtime.GetStatusAsync(handle, Ct)).State.ShouldBe(WorkspaceRuntimeState.NotFound);

        // NotFound counts as done; a foreign id never reaches the API.
        await k8s.Runtime.DeleteAsync(handle, deleteStorage: true, Ct);
        var deletesBefore = k8s.Requests("DELETE pods");
        await k8s.Runtime.DeleteAsync(handle with { InstanceId = "../../etc" }, deleteStorage: true, Ct);
        k8s.Requests("DELETE pods").ShouldBe(deletesBefore);
        (await k8s.Runtime.GetStatusAsync(handle with { InstanceId = "Not A Pod" }, Ct)).State.ShouldBe(WorkspaceRuntimeState.NotFound);
    }

    [Fact]
    public async Task GetStatus_CrashedPod_IsExitedWithTheExitCode_EvictedPod_IsExitedSayingEvicted()
    {
        await using var k8s = await KubernetesRuntimeHarness.StartAsync();
        var crashed = await k8s.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("crash1"), Ct);
        var evicted = await k8s.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("evict1"), Ct);

        k8s.Simulation.Kubelet.Crash(k8s.Namespace, crashed.InstanceId);
        k8s.Simulation.Kubelet.Evict(k8s.Namespace, evicted.InstanceId);

        var crashStatus = await WaitForStateAsync(k8s, crashed, WorkspaceRuntimeState.Exited);
        crashStatus.Detail.ShouldNotBeNull().ShouldContain("phase Failed");
        crashStatus.Detail.ShouldContain("exited with code 137");
        var evictStatus = await WaitForStateAsync(k8s, evicted, WorkspaceRuntimeState.Exited);
        evictStatus.Detail.ShouldNotBeNull().ShouldContain("reason Evicted");
    }

    [Fact]
    public async Task Provision_WithTheTasksPreviousPod_DeletesThatPod_ButNeverAnotherTasksPod()
    {
        await using var k8s = await KubernetesRuntimeHarness.StartAsync();
        var first = await k8s.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("prev1"), Ct);
        var other = await k8s.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("other1"), Ct);
        k8s.Simulation.Kubelet.Crash(k8s.Namespace, first.InstanceId);
        await WaitForStateAsync(k8s, first, WorkspaceRuntimeState.Exited);

        var second = await k8s.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("prev1", first.InstanceId), Ct);
        var third = await k8s.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("prev2", other.InstanceId), Ct);

        second.Reattached.ShouldBeFalse();
        await WaitUntilAsync(() => k8s.Simulation.Store.TryGet("pods", k8s.Namespace, first.InstanceId) is null);
        k8s.Simulation.PodNames().ShouldBe([second.InstanceId, other.InstanceId, third.InstanceId], ignoreOrder: true);
    }

    [Fact]
    public async Task ListInstances_ListsTheWorkspacePodsWithTheirExactTaskIds_AndNothingElse()
    {
        await using var k8s = await KubernetesRuntimeHarness.StartAsync();
        var a = await k8s.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("list-a"), Ct);
        var b = await k8s.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("list b/with odd chars"), Ct);
        k8s.Simulation.Store.Create("pods", k8s.Namespace, JsonNode.Parse("""{"metadata":{"name":"someone-else"},"spec":{"containers":[]}}""")!.AsObject());

        var instances = await k8s.Runtime.ListInstancesAsync(Ct);

        instances.Select(i => (i.InstanceId, i.TaskId))
            .ShouldBe([(a.InstanceId, "list-a"), (b.InstanceId, "list b/with odd chars")], ignoreOrder: true);
        instances.ShouldAllBe(i => i.CreatedAt != null && i.CreatedAt <= DateTimeOffset.UtcNow.AddSeconds(5));
        ((string)k8s.Simulation.Store.Get("pods", k8s.Namespace, b.InstanceId)["metadata"]!["labels"]!["shadow.dev/task-id"]!).ShouldStartWith("h-");
    }

    [Fact]
    public async Task Provision_PodThatCannotStart_FailsWithThePodsState_AndLeavesNoPodBehind()
    {
        await using var k8s = await KubernetesRuntimeHarness.StartAsync(o =>
        {
            o.ReadyTimeout = TimeSpan.FromSeconds(3);
            o.Image = Shadow.Kubernetes.Simulation.SimulatedKubelet.MissingImagePrefix + "sidecar:nope";
        });

        var e = await Should.ThrowAsync<WorkspaceUnavailableException>(() => k8s.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("broken1"), Ct));

        e.Message.ShouldContain("shadow-ws-broken1-");
        e.Message.ShouldContain("did not become ready within 3 s (Shadow:Runtime:Kubernetes:ReadyTimeout)");
        e.Message.ShouldContain("ImagePullBackOff");
        await WaitUntilAsync(() => k8s.Simulation.PodNames().Count == 0);
    }

    [Fact]
    public async Task Provision_WrongCredentials_FailsSaying401_AndNeverRetriesForever()
    {
        await using var k8s = await KubernetesRuntimeHarness.StartAsync();
        var badConfig = File.ReadAllText(k8s.Simulation.KubeconfigPath).Replace(k8s.Simulation.Api.Token, "not-the-token", StringComparison.Ordinal);
        var path = k8s.Root.Combine("bad-kubeconfig");
        File.WriteAllText(path, badConfig);
        using var runtime = new KubernetesPodRuntime(Microsoft.Extensions.Options.Options.Create(new KubernetesRuntimeOptions
        {
            KubeConfigPath = path,
            Namespace = k8s.Namespace,
            Image = "x:1",
            ManageNetworkPolicy = false,
        }), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<KubernetesPodRuntime>.Instance);

        var e = await Should.ThrowAsync<WorkspaceUnavailableException>(() => runtime.ProvisionAsync(new WorkspaceProvisionRequest("auth1"), Ct));

        e.Message.ShouldContain("401");
        k8s.Simulation.PodNames().ShouldBeEmpty();
    }

    private static bool ProcessRuns(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);

    private static async Task<WorkspaceRuntimeStatus> WaitForStateAsync(KubernetesRuntimeHarness k8s, WorkspaceHandle handle, WorkspaceRuntimeState state)
    {
        WorkspaceRuntimeStatus status = new(WorkspaceRuntimeState.Starting);
        await WaitUntilAsync(async () => (status = await k8s.Runtime.GetStatusAsync(handle, Ct)).State == state);
        return status;
    }

    internal static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("The condition did not hold within 30 s.");
            }

            await Task.Delay(20, Ct);
        }
    }
}
