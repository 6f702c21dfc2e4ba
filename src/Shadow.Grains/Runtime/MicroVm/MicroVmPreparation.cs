namespace Shadow.Grains.Runtime.MicroVm;

/// <summary>What every VM of this runtime starts from: the image, the accelerator chosen (and why), the kernel arguments, the saved state.</summary>
/// <param name="ImageDirectory">The guest image's folder.</param>
/// <param name="Accelerator"><see cref="MicroVmAccelerator.Kvm"/> or <see cref="MicroVmAccelerator.Tcg"/>.</param>
/// <param name="AcceleratorReason">Why that one (e.g. the KVM probe's failure).</param>
/// <param name="KernelCommandLine">The kernel's arguments.</param>
/// <param name="StatePath">The saved VM state new workspaces resume from; null when snapshots are off.</param>
public sealed record MicroVmPreparation(string ImageDirectory, MicroVmAccelerator Accelerator, string AcceleratorReason, string KernelCommandLine, string? StatePath)
{
    internal GuestImage Image { get; init; } = null!;
}
