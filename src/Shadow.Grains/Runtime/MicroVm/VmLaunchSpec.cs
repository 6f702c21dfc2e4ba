namespace Shadow.Grains.Runtime.MicroVm;

/// <summary>What <see cref="IVmm.LaunchAsync"/> starts.</summary>
/// <param name="Directory">The VM's private folder: control and console sockets, the console log (mode 0700).</param>
/// <param name="KernelPath">The uncompressed kernel, booted directly (PVH).</param>
/// <param name="InitrdPath">The initramfs.</param>
/// <param name="KernelCommandLine">The kernel's arguments (never a secret: the token goes over the control channel).</param>
/// <param name="Accelerator"><see cref="MicroVmAccelerator.Kvm"/> or <see cref="MicroVmAccelerator.Tcg"/>.</param>
/// <param name="VcpuCount">Virtual CPUs.</param>
/// <param name="MemoryMiB">Guest memory.</param>
/// <param name="GuestPort">The guest port that a loopback host port forwards to (the sidecar).</param>
/// <param name="GitExportDirectory">
/// The host folder whose repositories the guest reaches through one narrow forward (<c>git://10.0.2.100/...</c>, served
/// per connection by <c>git daemon --inetd</c>); null for none.
/// </param>
/// <param name="IncomingStatePath">A saved VM state to resume instead of booting; null to boot.</param>
internal sealed record VmLaunchSpec(
    string Directory,
    string KernelPath,
    string InitrdPath,
    string KernelCommandLine,
    MicroVmAccelerator Accelerator,
    int VcpuCount,
    int MemoryMiB,
    int GuestPort,
    string? GitExportDirectory,
    string? IncomingStatePath);
