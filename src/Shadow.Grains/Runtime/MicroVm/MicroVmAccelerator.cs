namespace Shadow.Grains.Runtime.MicroVm;

/// <summary>How the VMM executes the guest (<c>Shadow:Runtime:MicroVm:Accelerator</c>).</summary>
public enum MicroVmAccelerator
{
    /// <summary>KVM when a probe actually boots the guest with it in time, otherwise TCG.</summary>
    Auto,
    /// <summary>Hardware virtualisation through <c>/dev/kvm</c>; refused at first use when the probe fails.</summary>
    Kvm,
    /// <summary>QEMU's software emulator: slower, works everywhere.</summary>
    Tcg,
}
