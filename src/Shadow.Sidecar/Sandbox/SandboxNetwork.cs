namespace Shadow.Sidecar.Sandbox;

/// <summary>What network a sandboxed command gets (<c>Sidecar:Sandbox:Network</c>).</summary>
internal enum SandboxNetwork
{
    /// <summary>Only a loopback of its own: no host port, no other workspace, no internet.</summary>
    Off,

    /// <summary>Outbound access through a user-mode NAT (slirp4netns); the host's loopback stays unreachable.</summary>
    On,
}
