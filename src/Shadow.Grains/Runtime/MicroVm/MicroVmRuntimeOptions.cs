using System.ComponentModel.DataAnnotations;

namespace Shadow.Grains.Runtime.MicroVm;

/// <summary>How the microVM runtime runs each workspace in its own virtual machine (<c>Shadow:Runtime:MicroVm:*</c>).</summary>
public sealed class MicroVmRuntimeOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Shadow:Runtime:MicroVm";

    /// <summary><c>Auto</c> (KVM when a probe boots the guest with it, else TCG), <c>Kvm</c> or <c>Tcg</c>.</summary>
    public MicroVmAccelerator Accelerator { get; set; } = MicroVmAccelerator.Auto;

    /// <summary>Virtual CPUs per VM.</summary>
    [Range(1, 64, ErrorMessage = SectionName + ":VcpuCount must be between 1 and 64.")]
    public int VcpuCount { get; set; } = 1;

    /// <summary>Guest memory per VM in MiB; the workspace lives in guest RAM, so this also bounds its size.</summary>
    [Range(256, 65536, ErrorMessage = SectionName + ":MemoryMiB must be between 256 and 65536.")]
    public int MemoryMiB { get; set; } = 768;

    /// <summary>Restored VMs kept ready for new workspaces (0 turns the pool off; each restore then happens on demand).</summary>
    [Range(0, 32, ErrorMessage = SectionName + ":WarmPoolSize must be between 0 and 32.")]
    public int WarmPoolSize { get; set; } = 1;

    /// <summary>Start new workspaces from a saved VM state (a guest booted once to a waiting sidecar) instead of booting each.</summary>
    public bool UseSnapshots { get; set; } = true;

    /// <summary>The QEMU system emulator: a name looked up on PATH or a full path.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = SectionName + ":QemuPath must name the QEMU binary (e.g. qemu-system-x86_64).")]
    public string QemuPath { get; set; } = "qemu-system-x86_64";

    /// <summary>
    /// The Native AOT <c>Shadow.Sidecar</c> binary put into the guest image. Empty: the newest Native AOT publish under
    /// <c>artifacts/publish/Shadow.Sidecar/*/</c> of the checkout the host runs from, else <c>&lt;CacheDir&gt;/sidecar-aot/</c>
    /// (published there on first use).
    /// </summary>
    public string? SidecarPath { get; set; }

    /// <summary>The guest image script (<c>eng/microvm/build-image.sh</c>). Empty: found in the checkout the host runs from, or next to the host.</summary>
    public string? ImageScriptPath { get; set; }

    /// <summary>Where kernels, images and saved VM states are cached. Empty: <c>&lt;Shadow:DataDir&gt;/microvm/cache</c>.</summary>
    public string? CacheDir { get; set; }

    /// <summary>How long building the guest image may take (the first build downloads the kernel package).</summary>
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00", ErrorMessage = SectionName + ":ImageBuildTimeout must be between 10 seconds and 1 hour.")]
    public TimeSpan ImageBuildTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a cold boot may take from start to a listening sidecar.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "00:10:00", ErrorMessage = SectionName + ":BootTimeout must be between 5 seconds and 10 minutes.")]
    public TimeSpan BootTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>How long the <c>Auto</c> probe gives a KVM guest to boot before it falls back to TCG.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00", ErrorMessage = SectionName + ":KvmProbeTimeout must be between 1 second and 5 minutes.")]
    public TimeSpan KvmProbeTimeout { get; set; } = TimeSpan.FromSeconds(15);
}
