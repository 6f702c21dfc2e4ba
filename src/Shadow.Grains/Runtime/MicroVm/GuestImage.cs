namespace Shadow.Grains.Runtime.MicroVm;

/// <summary>A built guest: the kernel and initramfs, and the hash of every input (names the saved VM states made from it).</summary>
/// <param name="Directory">The image folder under the cache.</param>
/// <param name="KernelPath">The uncompressed <c>vmlinux</c>.</param>
/// <param name="InitrdPath">The initramfs.</param>
/// <param name="Key">The hash of the image's inputs.</param>
internal sealed record GuestImage(string Directory, string KernelPath, string InitrdPath, string Key);
