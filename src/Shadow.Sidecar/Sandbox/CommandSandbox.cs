using System.Globalization;
using Shadow.Sidecar.Exec;

namespace Shadow.Sidecar.Sandbox;

/// <summary>
/// Turns a command's argv into the argv that runs it confined (<see cref="SandboxKind"/>). With Bubblewrap each command gets
/// its own user, pid, ipc and uts namespaces, a fresh <c>/proc</c> of its pid namespace, no capabilities, a read-only root
/// holding only the system folders (<c>/usr</c>, <c>/etc</c> with its secrets masked, the configured read-only folders),
/// private tmpfs <c>/tmp</c> and <c>HOME</c>, and the workspace bound writable at its own path; nothing else of the host
/// (data folder, other workspaces, the host's home, the sidecar's state) exists in there. All commands of one workspace
/// share one network namespace (<see cref="NetworkHolder"/>), so a server a background command starts is reachable from
/// the next command while the host's loopback, the gateway and other sidecars are not. Limits are set by <c>prlimit</c>
/// inside the sandbox right before bash starts. GVisor runs <c>runsc do</c> inside the same bubblewrap view. None runs
/// the argv unchanged.
/// </summary>
internal sealed partial class CommandSandbox : IDisposable
{
    /// <summary>HOME inside the sandbox (a private tmpfs).</summary>
    public const string SandboxHome = "/home/shadow";

    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static readonly string[] SystemFolders = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

    // Readable by their owner, and a command may run as the sidecar's user (root in a development box).
    private static readonly string[] MaskedFiles =
        ["/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/sudoers", "/etc/security/opasswd", "/etc/machine-id"];

    private static readonly string[] MaskedFolders = ["/etc/sudoers.d", "/etc/ssl/private"];

    private readonly SandboxOptions _options;
    private readonly string _root;
    private readonly string[] _view = [];
    private readonly string[] _limits = [];
    private readonly string? _runsc;
    private readonly NetworkHolder? _holder;

    public CommandSandbox(SandboxOptions options, string workspaceRoot, string stateDir, ChildReaper reaper, GroupRegistry groups, TimeProvider time,
        ILogger logger)
    {
        _options = options;
        _root = workspaceRoot;
        Kind = options.ResolvedKind ?? SandboxKind.None;
        Network = options.ResolvedNetwork ?? SandboxNetwork.Off;
        if (Kind == SandboxKind.None)
        {
            return;
        }

        Bwrap = Executables.Find("bwrap", options.BubblewrapPath)
            ?? throw new InvalidOperationException("Sidecar:Sandbox needs bubblewrap (bwrap) on PATH; install it (apt-get install bubblewrap).");
        Nsenter = Executables.Find("nsenter")
            ?? throw new InvalidOperationException("Sidecar:Sandbox needs nsenter (util-linux) on PATH.");
        var prlimit = Executables.Find("prlimit")
            ?? throw new InvalidOperationException("Sidecar:Sandbox needs prlimit (util-linux) on PATH.");
        if (Kind == SandboxKind.GVisor)
        {
            _runsc = Executables.Find("runsc", options.RunscPath)
                ?? throw new InvalidOperationException("Sidecar:Sandbox:Kind=GVisor needs runsc on PATH (apt-get install runsc).");
        }

        var sandboxState = Directory.CreateDirectory(Path.Combine(stateDir, "sandbox")).FullName;
        Cgroup = PidsCgroup.TryCreate(options.MaxProcesses);
        _limits = Limits(prlimit, options);
        _view = View(sandboxState, Network);
        _holder = new NetworkHolder(Bwrap, Network, options, sandboxState, reaper, groups, time, logger);
    }

    public SandboxKind Kind { get; }

    public SandboxNetwork Network { get; }

    public string? Bwrap { get; }

    public string? Nsenter { get; }

    /// <summary>The per-command pids cgroups (root only); null when the process limit is RLIMIT_NPROC alone.</summary>
    public PidsCgroup? Cgroup { get; }

    /// <summary>What enforces <see cref="SandboxOptions.MaxProcesses"/>.</summary>
    public string ProcessLimitMechanism => Kind == SandboxKind.None ? "none"
        : Cgroup is not null ? "pids cgroup" : PidsCgroup.IsRoot ? "none (root without a writable cgroup v1 pids hierarchy)" : "RLIMIT_NPROC";

    /// <summary>One line for logs and <c>/status</c>.</summary>
    public string Summary => Kind == SandboxKind.None
        ? "none (commands run unconfined on the host: development only)"
        : string.Create(CultureInfo.InvariantCulture,
            $"{Kind.ToString().ToLowerInvariant()}, network {Network.ToString().ToLowerInvariant()}, cpu {_options.CpuSeconds} s, memory {_options.MemoryMiB} MiB, processes {_options.MaxProcesses} ({ProcessLimitMechanism}), file size {_options.MaxFileSizeMiB} MiB, output {_options.MaxOutputBytes} bytes");

    /// <summary>Starts the workspace's network namespace (and its NAT when the network is on).</summary>
    public void Start() => _holder?.Start();

    /// <summary>The environment every command starts from; built from nothing, never inherited.</summary>
    public Dictionary<string, string> BaseEnvironment(string noneHome)
    {
        var path = Kind == SandboxKind.None && Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } hostPath ? hostPath : DefaultPath;
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = path,
            ["HOME"] = Kind == SandboxKind.None ? noneHome : SandboxHome,
            ["LANG"] = "C.UTF-8",
            ["TERM"] = "dumb",
            ["SHADOW_WORKSPACE"] = _root,
        };
    }

    /// <summary>The argv that runs <paramref name="inner"/> (an absolute program path first) confined, in <paramref name="cwd"/>.</summary>
    public SpawnPlan Plan(IReadOnlyList<string> inner, string cwd)
    {
        if (Kind == SandboxKind.None)
        {
            return new SpawnPlan(inner[0], [.. inner]);
        }

        var holder = _holder!.EnsureRunning();
        var argv = new List<string>(_view.Length + _limits.Length + inner.Count + 24)
        {
            Nsenter!, "--target", holder.ToString(CultureInfo.InvariantCulture), "--user", "--net", "--preserve-credentials", "--",
        };
        argv.AddRange(_view);
        argv.Add("--chdir");
        argv.Add(cwd);
        argv.Add("--");
        argv.AddRange(_limits);
        if (_runsc is not null)
        {
            // The user-space kernel sees the same view; writes go straight to the workspace (the only writable bind).
            argv.AddRange([_runsc, "--rootless", "--network=none", "--ignore-cgroups", "do", "--force-overlay=false", "--cwd", cwd, "--"]);
        }

        argv.AddRange(inner);
        return new SpawnPlan(Nsenter!, [.. argv]);
    }

    public void Dispose()
    {
        _holder?.Dispose();
        Cgroup?.RemoveTree();
    }

    private static string[] Limits(string prlimit, SandboxOptions options)
    {
        static string Pair(string name, long value) => string.Create(CultureInfo.InvariantCulture, $"--{name}={value}:{value}");
        return
        [
            prlimit,
            string.Create(CultureInfo.InvariantCulture, $"--cpu={options.CpuSeconds}:{options.CpuSeconds + 5}"),
            Pair("as", options.MemoryMiB * 1024L * 1024),
            Pair("nproc", options.MaxProcesses),
            Pair("fsize", options.MaxFileSizeMiB * 1024L * 1024),
            Pair("core", 0),
            "--",
        ];
    }

    private string[] View(string sandboxState, SandboxNetwork network)
    {
        var empty = Path.Combine(sandboxState, "empty");
        if (!File.Exists(empty))
        {
            File.WriteAllBytes(empty, []);
        }

        List<string> args =
        [
            Bwrap!,
            "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--hostname", "shadow-workspace",
        ];

        // runsc needs its capabilities (inside this user namespace only) to set up its own sandbox; the command itself then
        // runs on gVisor's kernel and never sees this layer's mounts. A command run straight in bubblewrap keeps none.
        if (Kind == SandboxKind.Bubblewrap)
        {
            args.AddRange(["--cap-drop", "ALL"]);
        }
        foreach (var folder in SystemFolders)
        {
            var info = new DirectoryInfo(folder);
            if (info.LinkTarget is { } target)
            {
                args.AddRange(["--symlink", target, folder]);
            }
            else if (info.Exists)
            {
                args.AddRange(["--ro-bind", folder, folder]);
            }
        }

        args.AddRange(["--ro-bind", "/etc", "/etc"]);
        var hostKeys = Directory.Exists("/etc/ssh") ? Directory.GetFiles("/etc/ssh", "ssh_host_*key*") : [];
        foreach (var file in MaskedFiles.Where(File.Exists).Concat(hostKeys))
        {
            args.AddRange(["--ro-bind", empty, file]);
        }

        foreach (var folder in MaskedFolders.Where(Directory.Exists))
        {
            args.AddRange(["--tmpfs", folder]);
        }

        if (network == SandboxNetwork.On)
        {
            // slirp4netns answers DNS on 10.0.2.3; the host's resolver (often on its loopback) is out of reach.
            var resolv = Path.Combine(sandboxState, "resolv.conf");
            File.WriteAllText(resolv, "nameserver 10.0.2.3\n");
            args.AddRange(["--ro-bind", resolv, "/etc/resolv.conf"]);
        }

        foreach (var extra in _options.ReadOnlyPaths)
        {
            var full = Path.GetFullPath(extra);
            args.AddRange(["--ro-bind", full, full]);
        }

        args.AddRange(["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp", "--tmpfs", "/home", "--dir", SandboxHome]);
        // Last, so it lands on top of the tmpfs folders above when it lives under /tmp or /home.
        args.AddRange(["--bind", _root, _root, "--remount-ro", "/"]);
        return [.. args];
    }
}
