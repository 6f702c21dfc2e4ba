using Microsoft.Extensions.DependencyInjection;
using Shadow.Grains.Runtime.Local;
using Shadow.Grains.Runtime.MicroVm;

namespace Shadow.Grains.Tests.Runtime.MicroVm;

/// <summary>
/// One real silo on the MicroVm runtime (QEMU under TCG, the guest image built by eng/microvm/build-image.sh) shared by
/// the microVM tests: preparing it (image, template boot, saved state) is the slow part, so it happens once. The image
/// and saved-state cache lives under artifacts/microvm-cache of the checkout and is reused by later runs. When QEMU or
/// the image's tools are missing the tests skip with <see cref="SkipReason"/>.
/// </summary>
public sealed class MicroVmClusterFixture : IAsyncLifetime
{
    private ShadowCluster? _shadow;

    public ShadowCluster Shadow => _shadow ?? throw new InvalidOperationException(SkipReason);

    public MicroVmRuntime Runtime => Shadow.Cluster.Silos[0].ServiceProvider.GetRequiredService<MicroVmRuntime>();

    /// <summary>Why the microVM tests cannot run here; null when they can.</summary>
    public string? SkipReason { get; private set; }

    public MicroVmPreparation Preparation { get; private set; } = null!;

    public static string CacheDirectory =>
        Path.Combine(SidecarLocator.FindRepositoryRoot(AppContext.BaseDirectory) ?? Path.GetTempPath(), "artifacts", "microvm-cache");

    public async ValueTask InitializeAsync()
    {
        foreach (var tool in new[] { "qemu-system-x86_64", "busybox", "cpio", "apt-get", "git" })
        {
            if (ExecutableSearch.Find(tool) is null)
            {
                SkipReason = $"{tool} is not installed (the CI script installs qemu-system-x86, busybox-static and cpio).";
                return;
            }
        }

        _shadow = await ShadowCluster.StartAsync(new Dictionary<string, string?>
        {
            ["Shadow:Runtime:Kind"] = "MicroVm",
            ["Shadow:Runtime:MicroVm:Accelerator"] = "Tcg",
            ["Shadow:Runtime:MicroVm:WarmPoolSize"] = "1",
            ["Shadow:Runtime:MicroVm:MemoryMiB"] = "512",
            ["Shadow:Runtime:MicroVm:CacheDir"] = CacheDirectory,
            ["Shadow:Workspace:ReadyTimeout"] = "00:03:00",
            ["Shadow:Runtime:MicroVm:BootTimeout"] = "00:05:00",
        });
        Preparation = await Runtime.PrepareAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The runtime's KVM probe (boots the guest under KVM): null when KVM works, else why not.</summary>
    public async Task<string?> KvmProbeAsync(CancellationToken cancellationToken)
    {
        var image = await Shadow.Cluster.Silos[0].ServiceProvider.GetRequiredService<GuestImageBuilder>().BuildAsync(cancellationToken);
        return await Runtime.ProbeKvmAsync(image, cancellationToken);
    }

    /// <summary>Skips the calling test when the microVM runtime cannot run here.</summary>
    public void SkipUnlessAvailable() => Assert.SkipWhen(SkipReason is not null, SkipReason ?? string.Empty);

    public async ValueTask DisposeAsync()
    {
        if (_shadow is not null)
        {
            await _shadow.DisposeAsync();
        }
    }
}
