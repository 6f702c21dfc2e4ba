using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Abstractions.Workspaces;
using Shadow.Grains.Runtime;
using Shadow.Grains.Runtime.Reconcile;
using Shadow.Grains.Workspaces;
using Shadow.Kubernetes.Simulation;
using Shadow.Sidecar.Contracts.Files;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Grains.Tests.Runtime.Kubernetes;

/// <summary>A real silo with <c>Shadow:Runtime:Kind=Kubernetes</c> against the SIMULATED cluster: tasks run in pods end to end.</summary>
public sealed class KubernetesEndToEndTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Task_RunsInAPod_APodDeletedMidTask_IsRecreatedAndRestoredFromTheShadowBranch()
    {
        using var root = new TempDirectory("shadow-k8s-e2e");
        await using var cluster = await KubernetesSimulation.StartAsync(root.Combine("cluster"), probePeriod: TimeSpan.FromMilliseconds(50), cancellationToken: Ct);
        await using var shadow = await ShadowCluster.StartAsync(cluster.ShadowSettings());
        shadow.Runtime.Kind.ShouldBe("Kubernetes");
        var remote = shadow.CreateRemote("repo", new Dictionary<string, string> { ["README.md"] = "# on k8s\n" });

        var task = await shadow.CreateAndWaitAsync("k8s1", remote, "main");

        task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
        var workspace = shadow.Client.GetGrain<IWorkspaceGrain>("k8s1");
        var before = await workspace.GetInfoAsync(Ct);
        before.RuntimeKind.ShouldBe("Kubernetes");
        before.InstanceId.ShouldNotBeNull().ShouldStartWith("shadow-ws-k8s1-");
        cluster.PodNames().ShouldBe([before.InstanceId]);
        (await workspace.ReadFileAsync("README.md", null, null, Ct)).Content.ShouldBe("# on k8s\n");

        // A turn's work is committed and pushed to the shadow branch.
        await workspace.WriteFileAsync(new WriteFileRequest("notes.txt", "kept across pods\n"), Ct);
        (await shadow.Client.GetGrain<IWorkspaceLifecycleGrain>("k8s1").CommitTurnAsync("turn 1", Ct)).ShouldNotBeNull();

        // Act: someone deletes the pod (as kubectl delete pod would), mid-task.
        await DeletePodAsync(cluster, before.InstanceId);

        // Assert: the health timer notices, a new pod is made and the workspace comes back from the shadow branch.
        var after = await WaitForInfoAsync(workspace, i => i.Phase == WorkspacePhase.Ready && i.ProvisionCount == before.ProvisionCount + 1);
        after.InstanceId.ShouldNotBe(before.InstanceId);
        (await workspace.ReadFileAsync("notes.txt", null, null, Ct)).Content.ShouldBe("kept across pods\n");
        (await workspace.GitStatusAsync(Ct)).Branch.ShouldBe("shadow/task-k8s1");
        await KubernetesPodRuntimeTests.WaitUntilAsync(() => cluster.PodNames().SequenceEqual([after.InstanceId!]));

        // The node evicts the new pod: the health timer sees it Failed and brings the workspace back once more.
        cluster.Kubelet.Evict(cluster.Namespace, after.InstanceId!);
        var evicted = await WaitForInfoAsync(workspace, i => i.Phase == WorkspacePhase.Ready && i.ProvisionCount == after.ProvisionCount + 1);
        (await workspace.ReadFileAsync("notes.txt", null, null, Ct)).Content.ShouldBe("kept across pods\n");
        await KubernetesPodRuntimeTests.WaitUntilAsync(() => cluster.PodNames().SequenceEqual([evicted.InstanceId!]));

        // Archive deletes the pod (and the garbage collector its token Secret).
        await shadow.Task("k8s1").ArchiveAsync(Ct);
        await KubernetesPodRuntimeTests.WaitUntilAsync(() => cluster.PodNames().Count == 0);
        cluster.Store.List("secrets", cluster.Namespace, _ => true).Items.ShouldBeEmpty();
    }

    [Fact]
    public async Task Reconciler_DeletesPodsOfGoneOrArchivedTasks_AndStrayPodsOfALiveTask_ButKeepsTheLiveOne()
    {
        using var root = new TempDirectory("shadow-k8s-orphans");
        await using var cluster = await KubernetesSimulation.StartAsync(root.Combine("cluster"), probePeriod: TimeSpan.FromMilliseconds(50), cancellationToken: Ct);
        var settings = cluster.ShadowSettings();
        settings["Shadow:Runtime:Reconcile:MinimumAge"] = "00:00:00";
        await using var shadow = await ShadowCluster.StartAsync(settings);
        var remote = shadow.CreateRemote("repo");
        (await shadow.CreateAndWaitAsync("live1", remote, "main")).Status.ShouldBe(ShadowTaskStatus.Idle);
        (await shadow.CreateAndWaitAsync("arch1", remote, "main")).Status.ShouldBe(ShadowTaskStatus.Idle);
        await shadow.Task("arch1").ArchiveAsync(Ct);
        var live = (await shadow.Client.GetGrain<IWorkspaceGrain>("live1").GetInfoAsync(Ct)).InstanceId.ShouldNotBeNull();

        // Pods nobody holds: a task that never existed, an archived task, and a second pod of the live task (a silo died mid-provision).
        var ghost = await shadow.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("ghost1"), Ct);
        var archived = await shadow.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("arch1"), Ct);
        var stray = await shadow.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("live1"), Ct);

        var report = await shadow.Client.GetGrain<IOrphanReconcilerGrain>(IOrphanReconcilerGrain.Key).ReconcileAsync(Ct);

        report.Listed.ShouldBe(4);
        report.Deleted.Select(d => d.InstanceId).ShouldBe([ghost.InstanceId, archived.InstanceId, stray.InstanceId], ignoreOrder: true);
        report.Deleted.Single(d => d.InstanceId == ghost.InstanceId).Reason.ShouldContain("does not exist");
        report.Deleted.Single(d => d.InstanceId == archived.InstanceId).Reason.ShouldContain("archived");
        report.Deleted.Single(d => d.InstanceId == stray.InstanceId).Reason.ShouldContain($"runs on instance {live}");
        await KubernetesPodRuntimeTests.WaitUntilAsync(() => cluster.PodNames().SequenceEqual([live]));
        (await shadow.Client.GetGrain<IWorkspaceGrain>("live1").ListFilesAsync(null, Ct)).Entries.ShouldNotBeEmpty();

        // A second pass finds nothing to do; the reminder that drives the passes is registered.
        (await shadow.Client.GetGrain<IOrphanReconcilerGrain>(IOrphanReconcilerGrain.Key).ReconcileAsync(Ct)).Deleted.ShouldBeEmpty();
        var reminders = shadow.Cluster.Silos[0].ServiceProvider.GetRequiredService<IReminderTable>();
        var rows = await reminders.ReadRows(shadow.Client.GetGrain<IOrphanReconcilerGrain>(IOrphanReconcilerGrain.Key).GetGrainId(), Ct);
        rows.Reminders.ShouldContain(r => r.ReminderName == "orphan-reconcile" && r.Period == TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task ReconcileReminder_Ticks_AndCollectsAnOrphanedPod_WithoutAnyCall()
    {
        using var root = new TempDirectory("shadow-k8s-reminder");
        await using var cluster = await KubernetesSimulation.StartAsync(root.Combine("cluster"), probePeriod: TimeSpan.FromMilliseconds(50), cancellationToken: Ct);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 9, 0, 0, TimeSpan.Zero));
        await using var shadow = await ShadowCluster.StartAsync(cluster.ShadowSettings(), time);
        var ghost = await shadow.Runtime.ProvisionAsync(new WorkspaceProvisionRequest("ghost2"), Ct);
        cluster.PodNames().ShouldBe([ghost.InstanceId]);

        // Act: the reminder's period passes on the grains' clock.
        time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        var reconciler = shadow.Client.GetGrain<IOrphanReconcilerGrain>(IOrphanReconcilerGrain.Key).GetGrainId();
        await shadow.ReminderTicks.WaitForAsync(reconciler, "orphan-reconcile", 1, Deadline, Ct);

        // Assert: the pod of a task that does not exist is gone.
        await KubernetesPodRuntimeTests.WaitUntilAsync(() => cluster.PodNames().Count == 0);
    }

    [Fact]
    public async Task LocalRuntime_ReconcilerListsNothing_AndDeletesNothing()
    {
        await using var shadow = await ShadowCluster.StartAsync();

        var report = await shadow.Client.GetGrain<IOrphanReconcilerGrain>(IOrphanReconcilerGrain.Key).ReconcileAsync(Ct);

        report.ShouldBe(new ReconcileReport(0, []), new ReconcileReportComparer());
    }

    private static async Task DeletePodAsync(KubernetesSimulation cluster, string name)
    {
        using var http = new HttpClient { BaseAddress = cluster.Api.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", cluster.Api.Token);
        using var response = await http.DeleteAsync(new Uri($"/api/v1/namespaces/{cluster.Namespace}/pods/{name}", UriKind.Relative), Ct);
        response.EnsureSuccessStatusCode();
    }

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

    private sealed class ReconcileReportComparer : IEqualityComparer<ReconcileReport>
    {
        public bool Equals(ReconcileReport? x, ReconcileReport? y) =>
            x is not null && y is not null && x.Listed == y.Listed && x.Deleted.SequenceEqual(y.Deleted);

        public int GetHashCode(ReconcileReport obj) => obj.Listed;
    }
}
