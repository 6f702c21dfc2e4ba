using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Shadow.Grains.Runtime;
using Shadow.Grains.Runtime.Kubernetes;
using Shouldly;

namespace Shadow.Grains.Tests.Runtime.Kubernetes;

/// <summary>The runtime against a real cluster (skipped without <c>SHADOW_E2E_K8S</c>): the same lifecycle the simulation checks.</summary>
public sealed class RealClusterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [KubernetesFact]
    public async Task RealCluster_ProvisionWatchesThePodToReady_StatusRunning_DeleteMakesItNotFound()
    {
        var options = new KubernetesRuntimeOptions
        {
            Namespace = Environment.GetEnvironmentVariable("SHADOW_E2E_K8S_NAMESPACE") is { Length: > 0 } ns ? ns : "shadow-workspaces",
            Image = Environment.GetEnvironmentVariable("SHADOW_E2E_K8S_IMAGE") ?? throw new InvalidOperationException("Set SHADOW_E2E_K8S_IMAGE to a pushed sidecar image."),
            KubeConfigPath = Environment.GetEnvironmentVariable("KUBECONFIG"),
            ManageNetworkPolicy = false,
        };
        using var runtime = new KubernetesPodRuntime(Options.Create(options), TimeProvider.System, NullLogger<KubernetesPodRuntime>.Instance);

        var handle = await runtime.ProvisionAsync(new WorkspaceProvisionRequest("e2e-" + Guid.NewGuid().ToString("N")[..8]), Ct);
        try
        {
            (await runtime.GetStatusAsync(handle, Ct)).State.ShouldBe(WorkspaceRuntimeState.Running);
            (await runtime.ListInstancesAsync(Ct)).ShouldContain(i => i.InstanceId == handle.InstanceId);
        }
        finally
        {
            await runtime.DeleteAsync(handle, deleteStorage: true, Ct);
        }

        await KubernetesPodRuntimeTests.WaitUntilAsync(async () => (await runtime.GetStatusAsync(handle, Ct)).State == WorkspaceRuntimeState.NotFound);
    }
}
