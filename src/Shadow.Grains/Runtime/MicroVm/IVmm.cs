namespace Shadow.Grains.Runtime.MicroVm;

/// <summary>
/// The virtual machine monitor behind the microVM runtime, driven the way a Firecracker manager drives Firecracker: one
/// process per VM, a control socket, a minimal machine, a kernel booted directly, the console on ttyS0. QEMU
/// (<see cref="QemuVmm"/>) is the one implementation; a Firecracker backend would implement the same two types.
/// </summary>
internal interface IVmm
{
    /// <summary>The monitor's name for logs and statuses (e.g. <c>qemu</c>).</summary>
    string Name { get; }

    /// <summary>Starts a VM as <paramref name="spec"/> says and answers once its control socket is connected.</summary>
    Task<IVirtualMachine> LaunchAsync(VmLaunchSpec spec, CancellationToken cancellationToken);
}
