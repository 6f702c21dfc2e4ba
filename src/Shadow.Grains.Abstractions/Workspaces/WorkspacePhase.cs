namespace Shadow.Grains.Abstractions.Workspaces;

/// <summary>Where a task's workspace is.</summary>
[GenerateSerializer]
public enum WorkspacePhase
{
    /// <summary>Nothing provisioned yet.</summary>
    None,
    /// <summary>The runtime is creating it.</summary>
    Provisioning,
    /// <summary>Its sidecar answers; tool calls go through.</summary>
    Ready,
    /// <summary>Reclaimed after being idle; the next use brings it back from the shadow branch.</summary>
    Reclaimed,
    /// <summary>Its sidecar died or provisioning failed; it is being (or will be) provisioned again.</summary>
    Failed,
    /// <summary>Destroyed for good (the task was archived).</summary>
    Deleted,
}
