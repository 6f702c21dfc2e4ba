namespace Shadow.Sidecar.Sandbox;

/// <summary>How the commands the sidecar runs are confined (<c>Sidecar:Sandbox:*</c>; <c>--sandbox</c> on the command line).</summary>
internal sealed class SandboxOptions
{
    /// <summary><c>Bubblewrap</c>, <c>GVisor</c> or <c>None</c>; empty: Bubblewrap when <c>bwrap</c> is on PATH, else None (with a warning).</summary>
    public string? Kind { get; set; }

    /// <summary><c>Off</c> (default: a loopback of its own only) or <c>On</c> (outbound through slirp4netns, host loopback unreachable).</summary>
    public string Network { get; set; } = nameof(SandboxNetwork.Off);

    /// <summary>CPU seconds each process of a command may use (RLIMIT_CPU; default 600); then SIGXCPU ends it.</summary>
    public int CpuSeconds { get; set; } = 600;

    /// <summary>Address space each process of a command may map, in MiB (RLIMIT_AS; default 2048).</summary>
    public int MemoryMiB { get; set; } = 2048;

    /// <summary>Processes (and threads) a command may have at once (default 256): a pids cgroup when the sidecar runs as root, else RLIMIT_NPROC.</summary>
    public int MaxProcesses { get; set; } = 256;

    /// <summary>Largest file a command may write, in MiB (RLIMIT_FSIZE; default 1024).</summary>
    public int MaxFileSizeMiB { get; set; } = 1024;

    /// <summary>Bytes of stdout plus stderr a command may print in all (default 256 MiB); past that it is ended. Applies with every kind, None included.</summary>
    public long MaxOutputBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Extra host folders shown read-only inside the sandbox (e.g. a toolchain under <c>/opt</c>); <c>/usr</c> and <c>/etc</c> always are.</summary>
    public List<string> ReadOnlyPaths { get; set; } = [];

    /// <summary>The bubblewrap binary; empty: <c>bwrap</c> on PATH.</summary>
    public string? BubblewrapPath { get; set; }

    /// <summary>The gVisor binary; empty: <c>runsc</c> on PATH.</summary>
    public string? RunscPath { get; set; }

    /// <summary>The slirp4netns binary used for <c>Network=On</c>; empty: <c>slirp4netns</c> on PATH.</summary>
    public string? Slirp4netnsPath { get; set; }

    /// <summary>The kind to use: <see cref="Kind"/>, or the automatic choice when it is empty; null when <see cref="Kind"/> is not a kind.</summary>
    public SandboxKind? ResolvedKind => string.IsNullOrWhiteSpace(Kind)
        ? (Executables.Find("bwrap") is not null ? SandboxKind.Bubblewrap : SandboxKind.None)
        : Enum.TryParse<SandboxKind>(Kind, ignoreCase: true, out var kind) && Enum.IsDefined(kind) && !int.TryParse(Kind, out _) ? kind : null;

    /// <summary>The network setting; null when it is not one.</summary>
    public SandboxNetwork? ResolvedNetwork =>
        Enum.TryParse<SandboxNetwork>(Network, ignoreCase: true, out var network) && Enum.IsDefined(network) && !int.TryParse(Network, out _) ? network : null;

    public IEnumerable<string> Validate()
    {
        if (ResolvedKind is not { } kind)
        {
            yield return $"Sidecar:Sandbox:Kind (--sandbox) must be Bubblewrap, GVisor or None (is '{Kind}').";
        }
        else if (kind == SandboxKind.Bubblewrap && Executables.Find("bwrap", BubblewrapPath) is null)
        {
            yield return $"Sidecar:Sandbox:Kind is Bubblewrap but {(string.IsNullOrEmpty(BubblewrapPath) ? "bwrap is not on PATH" : $"Sidecar:Sandbox:BubblewrapPath '{BubblewrapPath}' is not an executable")}; install bubblewrap (apt-get install bubblewrap) or choose another kind.";
        }
        else if (kind == SandboxKind.GVisor && Executables.Find("runsc", RunscPath) is null)
        {
            yield return $"Sidecar:Sandbox:Kind is GVisor but {(string.IsNullOrEmpty(RunscPath) ? "runsc is not on PATH" : $"Sidecar:Sandbox:RunscPath '{RunscPath}' is not an executable")}; install gVisor (apt-get install runsc) or choose another kind.";
        }

        if (ResolvedNetwork is not { } network)
        {
            yield return $"Sidecar:Sandbox:Network must be Off or On (is '{Network}').";
        }
        else if (network == SandboxNetwork.On && ResolvedKind == SandboxKind.Bubblewrap && Executables.Find("slirp4netns", Slirp4netnsPath) is null)
        {
            yield return "Sidecar:Sandbox:Network is On but slirp4netns is not on PATH (apt-get install slirp4netns); or set it to Off.";
        }

        if (CpuSeconds is < 1 or > 7 * 24 * 3600)
        {
            yield return $"Sidecar:Sandbox:CpuSeconds must be between 1 and 604800 (is {CpuSeconds}).";
        }

        if (MemoryMiB is < 64 or > 1024 * 1024)
        {
            yield return $"Sidecar:Sandbox:MemoryMiB must be between 64 and 1048576 (is {MemoryMiB}).";
        }

        if (MaxProcesses is < 8 or > 100_000)
        {
            yield return $"Sidecar:Sandbox:MaxProcesses must be between 8 and 100000 (is {MaxProcesses}).";
        }

        if (MaxFileSizeMiB is < 1 or > 1024 * 1024)
        {
            yield return $"Sidecar:Sandbox:MaxFileSizeMiB must be between 1 and 1048576 (is {MaxFileSizeMiB}).";
        }

        if (MaxOutputBytes is < 1024 or > 64L * 1024 * 1024 * 1024)
        {
            yield return $"Sidecar:Sandbox:MaxOutputBytes must be between 1024 and 68719476736 (is {MaxOutputBytes}).";
        }

        foreach (var path in ReadOnlyPaths)
        {
            if (!Path.IsPathFullyQualified(path) || !Directory.Exists(path))
            {
                yield return $"Sidecar:Sandbox:ReadOnlyPaths entry '{path}' must be an absolute path of an existing folder.";
            }
        }
    }
}
