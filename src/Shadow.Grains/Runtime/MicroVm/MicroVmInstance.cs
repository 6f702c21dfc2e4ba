namespace Shadow.Grains.Runtime.MicroVm;

/// <summary>A VM the runtime started: its id, folder, VMM handle and the loopback port of its sidecar.</summary>
internal sealed class MicroVmInstance(string instanceId, string directory, IVirtualMachine vm, int port, TimeSpan startDuration, bool fromSnapshot)
{
    public string InstanceId { get; } = instanceId;

    public string Directory { get; } = directory;

    public IVirtualMachine Vm { get; } = vm;

    public int Port { get; } = port;

    /// <summary>How long the launch took (to a listening sidecar, or to <c>running</c> after a resume).</summary>
    public TimeSpan StartDuration { get; } = startDuration;

    /// <summary>Resumed from the saved state rather than booted.</summary>
    public bool FromSnapshot { get; } = fromSnapshot;

    /// <summary>Where the git forward's repositories are linked (<c>git://10.0.2.100/&lt;name&gt;</c>).</summary>
    public string GitExportDirectory => Path.Combine(Directory, "git");

    /// <summary>The task it was handed to; null while it waits in the warm pool.</summary>
    public string? TaskId { get; set; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");
}
