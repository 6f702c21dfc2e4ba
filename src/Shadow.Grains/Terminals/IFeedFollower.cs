using Shadow.Grains.Workspaces;

namespace Shadow.Grains.Terminals;

/// <summary>A feed grain's internal side: the workspace tells it which sidecar to follow.</summary>
public interface IFeedFollower
{
    /// <summary>Follow <paramref name="connection"/> from the last seq seen on that instance (from its start when the instance is new).</summary>
    Task AttachAsync(SidecarConnection connection, CancellationToken cancellationToken = default);
}

/// <summary>The terminal grain's internal side.</summary>
[Alias("shadow.terminal-follower")]
public interface ITerminalFollowerGrain : IGrainWithStringKey, IFeedFollower;

/// <summary>The change-feed grain's internal side.</summary>
[Alias("shadow.changes-follower")]
public interface IChangeFollowerGrain : IGrainWithStringKey, IFeedFollower;
