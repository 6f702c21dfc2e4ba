namespace Shadow.Sidecar.Sandbox;

/// <summary>What confines the commands the sidecar runs (<c>Sidecar:Sandbox:Kind</c>).</summary>
internal enum SandboxKind
{
    /// <summary>No confinement: commands run on the host as the sidecar's user. Development only.</summary>
    None,

    /// <summary>bubblewrap (<c>bwrap</c>): user, pid, ipc, uts and network namespaces, a read-only system and the workspace bound writable.</summary>
    Bubblewrap,

    /// <summary>gVisor (<c>runsc</c>): a user-space kernel around the same file system view.</summary>
    GVisor,
}
