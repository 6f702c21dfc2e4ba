using System.ComponentModel.DataAnnotations;

namespace Shadow.Grains.Runtime.Local;

/// <summary>How the local runtime runs sidecars as child processes of the host (<c>Shadow:Runtime:Local:*</c>).</summary>
public sealed class LocalRuntimeOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Shadow:Runtime:Local";

    /// <summary>
    /// The sidecar to start: a Native AOT <c>Shadow.Sidecar</c> binary, or <c>Shadow.Sidecar.dll</c> (run with <c>dotnet</c>).
    /// Empty: next to the host's assembly, else the build output of the Shadow checkout the host runs from
    /// (<c>artifacts/publish/Shadow.Sidecar/*/</c> Native AOT first, then <c>artifacts/bin/Shadow.Sidecar/&lt;config&gt;/</c>).
    /// </summary>
    public string? SidecarPath { get; set; }

    /// <summary>Sidecars kept started on fresh empty workspaces, so a new workspace does not wait for a process start (0 turns the pool off).</summary>
    [Range(0, 64, ErrorMessage = SectionName + ":WarmPoolSize must be between 0 and 64.")]
    public int WarmPoolSize { get; set; } = 2;

    /// <summary>How long a sidecar may take from spawn to listening before the start counts as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = SectionName + ":StartTimeout must be between 1 second and 10 minutes.")]
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a sidecar gets after SIGTERM (to end its commands and flush) before it is killed.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00", ErrorMessage = SectionName + ":StopGracePeriod must be between 0 and 5 minutes.")]
    public TimeSpan StopGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// What confines the commands a workspace runs: <c>Bubblewrap</c> (namespaces, read-only system, only the workspace
    /// writable; the default when <c>bwrap</c> is on PATH), <c>GVisor</c> (<c>runsc</c> inside the same view) or <c>None</c>
    /// (development only: commands run unconfined on the host; warned about at start and in <c>/healthz</c>).
    /// Empty: Bubblewrap when <c>bwrap</c> is on PATH, else None.
    /// </summary>
    public string? Sandbox { get; set; }

    /// <summary>Network of sandboxed commands: <c>Off</c> (default: a loopback of the workspace's own) or <c>On</c> (outbound NAT through slirp4netns, host loopback unreachable).</summary>
    public string SandboxNetwork { get; set; } = "Off";

    /// <summary>The sandbox in effect: <see cref="Sandbox"/>, or the automatic choice when it is empty.</summary>
    public string ResolvedSandbox => string.IsNullOrWhiteSpace(Sandbox)
        ? (SandboxTools.Find("bwrap") is not null ? "Bubblewrap" : "None")
        : Sandbox.Trim();

    /// <summary>How long after a warm sidecar is claimed its replacement is started (the claimed workspace clones meanwhile).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = SectionName + ":RefillDelay must be between 0 and 1 minute.")]
    public TimeSpan RefillDelay { get; set; } = TimeSpan.FromSeconds(1);
}
