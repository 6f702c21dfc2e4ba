using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Abstractions.Workspaces;
using Shadow.Grains.Runtime.MicroVm;
using Shadow.Sidecar.Contracts.Exec;
using Shouldly;

namespace Shadow.Grains.Tests.Runtime.MicroVm;

/// <summary>KVM-only: skipped, with the probe's reason, where a KVM guest does not boot (as on the project's machines).</summary>
[Collection(MicroVmCollection.Name)]
public sealed class MicroVmKvmTests(MicroVmClusterFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KvmGuest_BootsAndRunsATask()
    {
        fixture.SkipUnlessAvailable();
        var probe = await fixture.KvmProbeAsync(Ct);
        Assert.SkipWhen(probe is not null, $"KVM cannot boot the guest here: {probe}");

        await using var kvm = await ShadowCluster.StartAsync(new Dictionary<string, string?>
        {
            ["Shadow:Runtime:Kind"] = "MicroVm",
            ["Shadow:Runtime:MicroVm:Accelerator"] = "Kvm",
            ["Shadow:Runtime:MicroVm:WarmPoolSize"] = "0",
            ["Shadow:Runtime:MicroVm:CacheDir"] = MicroVmClusterFixture.CacheDirectory,
        });
        (await kvm.CreateAndWaitAsync("kvm1", kvm.CreateRemote("kvm"), "main")).Status.ShouldBe(ShadowTaskStatus.Idle);
        var run = await kvm.Client.GetGrain<IWorkspaceGrain>("kvm1").ExecAsync(new ExecRequest("uname -n"), Ct);
        run.Stdout.Trim().ShouldBe("shadow-vm");
    }
}
