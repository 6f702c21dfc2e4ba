namespace Shadow.Grains.Runtime.MicroVm;

/// <summary>One running VM of an <see cref="IVmm"/>.</summary>
internal interface IVirtualMachine : IAsyncDisposable
{
    /// <summary>The VMM process.</summary>
    int ProcessId { get; }

    /// <summary>Its start time (from <c>/proc</c>), telling a recycled pid apart.</summary>
    string? ProcessStartTime { get; }

    /// <summary>Everything the guest wrote on its console (ttyS0): kernel messages, the sidecar's output.</summary>
    string ConsoleLogPath { get; }

    /// <summary>Whether the VMM process ended.</summary>
    bool HasExited { get; }

    /// <summary>Why it ended: exit code and the VMM's last lines.</summary>
    string ExitDetail();

    /// <summary>Answers once the guest runs (after a resume: once the monitor reports <c>running</c>; connecting earlier loses the first packet).</summary>
    Task WaitRunningAsync(TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>The loopback host port forwarded to the guest port.</summary>
    Task<int> GetForwardedPortAsync(CancellationToken cancellationToken);

    /// <summary>Writes one line to the guest's control channel (ttyS1, echo off, read only by its init).</summary>
    Task SendControlAsync(string line, CancellationToken cancellationToken);

    /// <summary>Saves the VM's whole state to <paramref name="path"/>; the VM stays paused afterwards.</summary>
    Task SaveStateAsync(string path, CancellationToken cancellationToken);

    /// <summary>Runs a shell command on the console (the emergency channel when the sidecar does not answer).</summary>
    Task<ConsoleExecResult> ExecOnConsoleAsync(string command, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>The VMM process's resident memory in bytes; null when gone.</summary>
    long? ResidentBytes();

    /// <summary>Ends the VM at once (SIGKILL) and waits for the process to go.</summary>
    Task KillAsync();
}
